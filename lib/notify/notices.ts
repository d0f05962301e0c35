import * as z from 'zod/mini';
import { FindingSchema } from '../ecr/finding';

/**
 * Notices: what the core tells people, as data. The core never formats text; renderers turn a
 * notice into email text, Slack Block Kit or an Amazon Q custom notification. The notice JSON is
 * also what programmatic subscribers (`lambda`, `sqs`) receive, so this schema is a public
 * contract: `notifySlack` validates every message against it.
 */

export const NOTICE_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type NoticeSeverity = (typeof NOTICE_SEVERITIES)[number];

const NoticeFinding = FindingSchema;

const NoticeChange = z.object({
  action: z.string(),
  target: z.string(),
  reason: z.string(),
  /** `stopped`: not done because the run stopped first (deadline, Ctrl-C); the message says why. */
  status: z.enum(['applied', 'planned', 'failed', 'stopped']),
  message: z.optional(z.string()),
});

const SeverityCounts = z.record(z.string(), z.int());

/** Where the notice came from: the triggering event, account and region. */
const NoticeOrigin = z.object({
  eventId: z.optional(z.string()),
  account: z.optional(z.string()),
  region: z.string(),
});

function notice<const Kind extends string, Data extends z.ZodMiniType>(kind: Kind, data: Data) {
  return z.object({
    /** Stable for one event and kind: duplicate deliveries of an event produce the same id. */
    id: z.string().check(z.minLength(1)),
    kind: z.literal(kind),
    severity: z.enum(NOTICE_SEVERITIES),
    repository: z.optional(z.string()),
    occurredAt: z.string(),
    origin: NoticeOrigin,
    /** Set when notices like this one (same scope and cause) were suppressed since `since`: their count. */
    repeats: z.optional(z.object({ suppressed: z.int().check(z.gte(1)), since: z.string(), windowSeconds: z.int().check(z.gte(1)) })),
    data,
  });
}

/** A tagged image was pushed (one notice per multi-arch push: for the index). */
export const PushSummaryNotice = notice(
  'push.summary',
  z.object({
    repositoryName: z.string(),
    registryId: z.string(),
    imageDigest: z.string(),
    imageUri: z.string(),
    tags: z.array(z.string()),
    mediaType: z.optional(z.string()),
    /** Total size; for an index, the sum of its platform images. */
    sizeInBytes: z.optional(z.number()),
    /** Platforms of a multi-arch index (empty for a single-platform image). */
    platforms: z.array(z.object({ platform: z.string(), digest: z.string(), sizeInBytes: z.optional(z.number()) })),
    repositoryClass: z.optional(z.string()),
    /** What governance changed on the repository (empty when it was already right). */
    governance: z.array(NoticeChange),
    consoleUrl: z.string(),
  }),
);

/** A scan finished: summary, diff against the previous image, and the verdict. */
export const ScanSummaryNotice = notice(
  'scan.summary',
  z.object({
    repositoryName: z.string(),
    registryId: z.string(),
    imageDigest: z.string(),
    tags: z.array(z.string()),
    /** Set when the scanned image is an untagged platform manifest reported under its index's tag. */
    reportedUnder: z.optional(z.object({ indexDigest: z.string(), tags: z.array(z.string()), platform: z.optional(z.string()) })),
    scanType: z.enum(['BASIC', 'ENHANCED']),
    scanStatus: z.string(),
    verdict: z.enum(['PASS', 'WARN', 'FAIL']),
    reasons: z.array(z.string()),
    counts: SeverityCounts,
    totalFindings: z.int(),
    acceptedFindings: z.int(),
    topFindings: z.array(NoticeFinding),
    comparison: z.optional(
      z.object({
        previousDigest: z.string(),
        previousTags: z.array(z.string()),
        newCount: z.int(),
        fixedCount: z.int(),
        newFindings: z.array(NoticeFinding),
        fixedFindings: z.array(NoticeFinding),
      }),
    ),
    consoleUrl: z.string(),
  }),
);

/** Likely cause and fix of a pull-through cache failure (`explainPtcFailure`). */
const NoticeGuidance = z.object({
  code: z.string(),
  category: z.string(),
  title: z.string(),
  likelyCause: z.string(),
  fix: z.string(),
  commands: z.array(z.string()),
});

/** A pull through an unknown prefix failed, and ecr-autopilot created the rule: pull again. */
export const PtcCreatedNotice = notice(
  'ptc.created',
  z.object({
    prefix: z.string(),
    upstreamRegistryUrl: z.string(),
    upstreamTitle: z.string(),
    /** The repository the failed pull asked for. */
    repositoryName: z.string(),
    /** The exact reference to pull again, e.g. `<account>.dkr.ecr.<region>.amazonaws.com/docker-hub/library/alpine:3.20`. */
    imageReference: z.string(),
    pullCommand: z.string(),
    /** What failed, e.g. `BatchGetImage failed with RepositoryNotFoundException`. */
    trigger: z.string(),
    hints: z.array(z.string()),
    changes: z.array(NoticeChange),
    consoleUrl: z.optional(z.string()),
    /**
     * ValidatePullThroughCacheRule on the new rule, as the sync does for a rule with a credential:
     * `valid`, `failed: <reason>`, `pending (after the change)` (plan mode), `not run: <why>`.
     */
    validation: z.optional(z.string()),
    /** When the validation failed: what to do before pulling again, and the command that does it. */
    validationFix: z.optional(z.object({ fix: z.string(), command: z.optional(z.string()) })),
  }),
);

/** A pull through the cache failed (ECR Pull Through Cache Action), or a rule could not be created on demand. */
export const PtcFailureNotice = notice(
  'ptc.failure',
  z.object({
    /** `sync-event`: a cache sync failed; `auto-create`: a declared rule could not be created on demand; `undeclared`: a pull used a known upstream alias no rule declares. */
    source: z.enum(['sync-event', 'auto-create', 'undeclared']),
    prefix: z.string(),
    repositoryName: z.optional(z.string()),
    imageTag: z.optional(z.string()),
    imageDigest: z.optional(z.string()),
    upstreamRegistryUrl: z.optional(z.string()),
    failureCode: z.string(),
    failureReason: z.optional(z.string()),
    guidance: NoticeGuidance,
    /** For `undeclared`: the entries to add under `pullThroughCache.rules`, one YAML flow mapping each. */
    configLines: z.optional(z.array(z.string())),
    consoleUrl: z.optional(z.string()),
  }),
);

/** One reconcile run of the pull-through cache rules: what changed and what is wrong. */
export const PtcSyncNotice = notice(
  'ptc.sync',
  z.object({
    prune: z.boolean(),
    counts: z.object({ declared: z.int(), inSync: z.int(), changed: z.int(), onDemand: z.int(), unmanaged: z.int(), failedChanges: z.int(), problems: z.int() }),
    rules: z.array(
      z.object({
        prefix: z.string(),
        declared: z.boolean(),
        status: z.string(),
        upstreamRegistryUrl: z.string(),
        credential: z.string(),
        template: z.string(),
        validation: z.optional(z.string()),
      }),
    ),
    problems: z.array(z.object({ prefix: z.string(), code: z.string(), message: z.string(), fix: z.string(), command: z.optional(z.string()) })),
    changes: z.array(NoticeChange),
    /** Why the run stopped before reconciling everything (its deadline, Ctrl-C): its `stopped` changes were not made. */
    stoppedEarly: z.optional(z.string()),
  }),
);

/**
 * A scheduled run fanned out on Step Functions Distributed Map (lib/fleet): the execution, its
 * batches, and each failed batch with its child execution, so that it can be looked at and redriven.
 */
export const FleetRunSummary = z.object({
  executionArn: z.string(),
  executionUrl: z.string(),
  /** How many times failed batches were redriven before this report (Step Functions redrive). */
  redriveCount: z.int(),
  batches: z.object({ total: z.int(), succeeded: z.int(), failed: z.int() }),
  /** At most the first 20 failed batches; `batches.failed` counts them all. */
  failedBatches: z.array(
    z.object({
      executionArn: z.string(),
      executionUrl: z.string(),
      /** The batch's work items (repository names, or mirror sources). */
      items: z.array(z.string()),
      error: z.string(),
      cause: z.string(),
    }),
  ),
  /** Items a batch did not reach before its deadline; the next run covers them. */
  notReached: z.array(z.string()),
  /** The command that restarts the failed batches, when the run can be redriven. */
  redriveCommand: z.optional(z.string()),
  /**
   * Set on the report of a run whose execution ended FAILED, TIMED_OUT or ABORTED (published when the
   * execution stops, from what its batches left in S3): what the run did before it stopped. A
   * redrive continues the run, and its Aggregate publishes the run's final ledger, which includes
   * what this one lists.
   */
  interrupted: z.optional(
    z.object({
      status: z.enum(['FAILED', 'TIMED_OUT', 'ABORTED']),
      /** The execution's error and cause, when Step Functions sent them. */
      error: z.optional(z.string()),
      cause: z.optional(z.string()),
      /** False when the Map wrote no results (the run stopped before or while its batches ran): nothing is known of its batches. */
      resultsRead: z.boolean(),
      /** Why Step Functions cannot redrive the run, when it says so (then there is no `redriveCommand`). */
      notRedrivable: z.optional(z.string()),
    }),
  ),
});

/** One image in the deletion ledger. */
const LedgerImage = z.object({
  imageDigest: z.string(),
  imageTags: z.array(z.string()),
  sizeInBytes: z.optional(z.number()),
  pushedAt: z.string(),
  rulePriority: z.int(),
  reason: z.string(),
});

/**
 * The deletion ledger of a lifecycle run (the daily sweep, a manual sweep, or expiry on push): per
 * repository, the governance fixed, every image expired with tags, digest, size, rule and reason,
 * what the safety rules kept, and every per-image failure. One summary per run; a run that expires
 * more images than fit in one SNS message is split into numbered parts.
 */
export const LifecycleLedgerNotice = notice(
  'lifecycle.ledger',
  z.object({
    trigger: z.enum(['sweep', 'push']),
    /** True in plan mode: nothing was deleted, the ledger says what would be. */
    dryRun: z.boolean(),
    part: z.optional(z.object({ index: z.int(), count: z.int() })),
    repositoriesScanned: z.int(),
    totals: z.object({
      governanceChanges: z.int(),
      imagesExpired: z.int(),
      bytesReclaimed: z.number(),
      failures: z.int(),
      keptBySafety: z.int(),
      capReached: z.boolean(),
    }),
    /** Why the run stopped before visiting every repository (its deadline, Ctrl-C). */
    stoppedEarly: z.optional(z.string()),
    /** Set when the sweep ran as a fleet (Step Functions Distributed Map). */
    fleet: z.optional(FleetRunSummary),
    /** Set when the run resumed where an earlier one stopped: "continued from <repository>, where run … stopped at …". */
    continuedFrom: z.optional(z.string()),
    /** Set when the run stopped before its end: where the next run starts, and how many repositories this one did not finish. */
    resume: z.optional(z.object({ nextRepository: z.string(), notFinished: z.int() })),
    repositories: z.array(
      z.object({
        repositoryName: z.string(),
        repositoryClass: z.string(),
        governance: z.array(NoticeChange),
        expired: z.array(LedgerImage),
        kept: z.array(z.object({ imageDigest: z.string(), imageTags: z.array(z.string()), reason: z.string(), detail: z.string() })),
        failures: z.array(z.object({ item: z.string(), code: z.string(), reason: z.string(), expected: z.optional(z.boolean()) })),
        bytesReclaimed: z.number(),
        transitionsLeftToEcr: z.int(),
        error: z.optional(z.string()),
      }),
    ),
  }),
);

/** What a mirror run did: per image tag, unchanged / copied (old digest → new digest) / failed. */
export const MirrorReportNotice = notice(
  'mirror.report',
  z.object({
    dryRun: z.boolean(),
    /** The destination registry host. */
    registry: z.string(),
    images: z.array(
      z.object({
        source: z.string(),
        tag: z.string(),
        repository: z.string(),
        /** `stopped`: not copied because the run stopped first (its deadline, Ctrl-C); the tag was not changed. */
        status: z.enum(['copied', 'unchanged', 'failed', 'planned', 'stopped']),
        previousDigest: z.optional(z.string()),
        digest: z.optional(z.string()),
        platforms: z.array(z.string()),
        newIndex: z.optional(z.boolean()),
        bytesCopied: z.optional(z.number()),
        reason: z.string(),
      }),
    ),
    /** Repositories created and governance fixed on the destination repositories. */
    governance: z.array(NoticeChange),
    /** Set when the mirror ran as a fleet (Step Functions Distributed Map). */
    fleet: z.optional(FleetRunSummary),
    /** Why the run stopped before mirroring everything (its deadline, Ctrl-C). */
    stoppedEarly: z.optional(z.string()),
  }),
);

const ChecklistItem = z.object({
  id: z.string(),
  section: z.string(),
  title: z.string(),
  status: z.enum(['pass', 'fail', 'warn', 'skipped']),
  expected: z.string(),
  found: z.string(),
  fix: z.optional(z.string()),
});

/** The lab checklist: pass/fail per lab step, with what was expected, found, and the fix. */
export const VerifyChecklistNotice = notice(
  'verify.checklist',
  z.object({
    passed: z.boolean(),
    stackName: z.string(),
    counts: z.object({ pass: z.int(), fail: z.int(), warn: z.int(), skipped: z.int() }),
    items: z.array(ChecklistItem),
  }),
);

/** A test message, proving the notification path works end to end. */
export const VerifyTestNotice = notice('verify.test', z.object({ stackName: z.string(), sentAt: z.string() }));

export const Notice = z.discriminatedUnion('kind', [PushSummaryNotice, ScanSummaryNotice, PtcCreatedNotice, PtcFailureNotice, PtcSyncNotice, LifecycleLedgerNotice, MirrorReportNotice, VerifyChecklistNotice, VerifyTestNotice]);

export type Notice = z.output<typeof Notice>;
export type NoticeKind = Notice['kind'];
export type PushSummaryNotice = z.output<typeof PushSummaryNotice>;
export type ScanSummaryNotice = z.output<typeof ScanSummaryNotice>;
export type NoticeFinding = z.output<typeof NoticeFinding>;
export type PtcCreatedNotice = z.output<typeof PtcCreatedNotice>;
export type PtcFailureNotice = z.output<typeof PtcFailureNotice>;
export type PtcSyncNotice = z.output<typeof PtcSyncNotice>;
export type NoticeChange = z.output<typeof NoticeChange>;
export type NoticeOrigin = z.output<typeof NoticeOrigin>;
export type LifecycleLedgerNotice = z.output<typeof LifecycleLedgerNotice>;
export type LedgerImage = z.output<typeof LedgerImage>;
export type FleetRunSummary = z.output<typeof FleetRunSummary>;
export type MirrorReportNotice = z.output<typeof MirrorReportNotice>;
export type VerifyChecklistNotice = z.output<typeof VerifyChecklistNotice>;
export type VerifyTestNotice = z.output<typeof VerifyTestNotice>;
export type NoticeOf<K extends NoticeKind> = Extract<Notice, { kind: K }>;
