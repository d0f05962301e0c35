/** ECR API limits (aws-ecr-facts §6, from the service model). */

/** DescribeImages.imageIds and BatchGetImage.imageIds take at most 100 ids. */
export const MAX_IMAGE_IDS_PER_CALL = 100;
/** BatchDeleteImage.imageIds takes at most 100 ids. */
export const MAX_IMAGE_IDS_PER_DELETE = 100;
/** The largest page DescribeImages, DescribeRepositories and DescribeImageScanFindings return. */
export const MAX_PAGE_SIZE = 1000;
