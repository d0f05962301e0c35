/**
 * Read-only access to the parts of the stack and the account the lab checklist looks at, beyond
 * ECR repositories and pull-through cache: registry scanning, EventBridge rules, the notification
 * topic, IAM policy simulation and the fleet's state machines. Live: `AwsStackReader`; plan mode: `SnapshotStackReader`.
 */
import type { CallOptions } from '../shared/retry';

export interface RegistryScanning {
  scanType: 'BASIC' | 'ENHANCED';
  rules: Array<{ scanFrequency: string; filters: string[] }>;
}

export interface StackRule {
  name: string;
  /** ENABLED, DISABLED or ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS. */
  state: string;
  /** Target ARNs. */
  targets: string[];
}

export interface TopicState {
  arn: string;
  subscriptions: Array<{ protocol: string; endpoint: string; confirmed: boolean }>;
}

/** A state machine of the stack and its most recent execution (Step Functions lists newest first). */
export type StateMachineRuns =
  | { exists: false }
  | { exists: true; lastExecution?: { executionArn: string; status: string; startDate: string } };

export type PermissionDecision = 'allowed' | 'explicitDeny' | 'implicitDeny';

/** One simulated action on one resource. */
export interface SimulatedPermission {
  action: string;
  /** The resource ARN the decision is for (`*` for actions without resource-level permissions). */
  resource: string;
  decision: PermissionDecision;
}

/** Every method takes the caller's signal. */
export interface StackReader {
  registryScanning(options?: CallOptions): Promise<RegistryScanning>;
  /** Every EventBridge rule (default bus) whose name starts with `prefix`, with its targets. */
  rulesWithPrefix(prefix: string, options?: CallOptions): Promise<StackRule[]>;
  /** Undefined when the topic does not exist. */
  topic(topicArn: string, options?: CallOptions): Promise<TopicState | undefined>;
  /**
   * IAM policy simulation of `actions` for `roleArn` on `resources`: one decision per action AND
   * per resource (an action the simulation leaves out is not in the list).
   */
  simulate(roleArn: string, actions: readonly string[], resources: readonly string[], options?: CallOptions): Promise<SimulatedPermission[]>;
  /** The AWS account the checks run in (the caller's), for ARNs of its resources. */
  accountId(options?: CallOptions): Promise<string>;
  /** Whether the state machine exists, and its last execution. */
  stateMachineRuns(stateMachineArn: string, options?: CallOptions): Promise<StateMachineRuns>;
}
