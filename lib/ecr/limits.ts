/** ECR API limits (aws-ecr-facts §6, from the service model). */

/** DescribeImages.imageIds and BatchGetImage.imageIds take at most 100 ids. */
export const MAX_IMAGE_IDS_PER_CALL = 100;
/** BatchDeleteImage.imageIds takes at most 100 ids. */
export const MAX_IMAGE_IDS_PER_DELETE = 100;
/** The largest page DescribeImages, DescribeRepositories and DescribeImageScanFindings return. */
export const MAX_PAGE_SIZE = 1000;

/**
 * Tag mutability exclusion filters (PutImageTagMutability, CreateRepositoryCreationTemplate): each
 * `filter` is 1–128 characters of letters, digits, `.`, `_`, `*` and `-`, and there are 1–5 of them.
 * API Reference, ImageTagMutabilityExclusionFilter:
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageTagMutabilityExclusionFilter.html
 * (so `feature/*` is rejected: `/` is not allowed).
 */
export const TAG_MUTABILITY_FILTER_PATTERN = /^[0-9a-zA-Z._*-]{1,128}$/;
export const MAX_TAG_MUTABILITY_FILTERS = 5;
/** DescribeRepositories.repositoryNames takes 1–100 names (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeRepositories.html). */
export const MAX_REPOSITORY_NAMES_PER_DESCRIBE = 100;
