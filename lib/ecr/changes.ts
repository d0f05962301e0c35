import type { TagMutability } from '../config/types';
import type { Change } from '../plan/types';

/** Changes that act on ECR repositories and images. Applied by `EcrRegistry`. */
export interface PutLifecyclePolicyChange extends Change {
  action: 'ecr:PutLifecyclePolicy';
  /** The repository name. */
  target: string;
  lifecyclePolicyText: string;
}

export interface PutScanOnPushChange extends Change {
  action: 'ecr:PutImageScanningConfiguration';
  target: string;
  scanOnPush: boolean;
}

export interface PutTagMutabilityChange extends Change {
  action: 'ecr:PutImageTagMutability';
  target: string;
  imageTagMutability: TagMutability;
  exclusions: string[];
}

/** One image of a deletion batch, with what the ledger says about it. */
export interface ImageToDelete {
  imageDigest: string;
  imageTags: string[];
  imageSizeInBytes?: number;
  appliedRulePriority: number;
  reason: string;
}

/** Deletes at most 100 images of one repository (BatchDeleteImage's limit). */
export interface BatchDeleteImageChange extends Change {
  action: 'ecr:BatchDeleteImage';
  target: string;
  images: ImageToDelete[];
}

/** Creates a repository with its class's settings (CreateRepository takes scan and mutability at creation). */
export interface CreateRepositoryChange extends Change {
  action: 'ecr:CreateRepository';
  target: string;
  scanOnPush?: boolean;
  imageTagMutability?: TagMutability;
  exclusions: string[];
  /** Tags on the repository, e.g. who manages it. */
  resourceTags: Record<string, string>;
}

/** Deletes a repository and every image in it (`force`); used by teardown only. */
export interface DeleteRepositoryChange extends Change {
  action: 'ecr:DeleteRepository';
  target: string;
}

export type RegistryChange =
  | PutLifecyclePolicyChange
  | PutScanOnPushChange
  | PutTagMutabilityChange
  | BatchDeleteImageChange
  | CreateRepositoryChange
  | DeleteRepositoryChange;

/** Governance changes: what makes a repository match its class. */
export type GovernanceChange = PutLifecyclePolicyChange | PutScanOnPushChange | PutTagMutabilityChange;
