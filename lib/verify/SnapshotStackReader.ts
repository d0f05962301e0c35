import type { SnapshotStack } from '../ecr/registrySnapshot';
import type { RegistryScanning, SimulatedPermission, StackReader, StackRule, StateMachineRuns, TopicState } from './StackReader';

/** The stack as a registry snapshot recorded it (`stack` section), for plan-mode verification. */
export class SnapshotStackReader implements StackReader {
  /** `account`: the snapshot's `registryId`, the account it was captured in. */
  constructor(
    private readonly stack: SnapshotStack | undefined,
    private readonly account: string,
  ) {}

  async registryScanning(): Promise<RegistryScanning> {
    return this.stack?.registryScanning ?? { scanType: 'BASIC', rules: [] };
  }

  async rulesWithPrefix(prefix: string): Promise<StackRule[]> {
    return (this.stack?.eventRules ?? []).filter((rule) => rule.name.startsWith(prefix));
  }

  async topic(topicArn: string): Promise<TopicState | undefined> {
    return this.stack?.topic && this.stack.topic.arn === topicArn ? this.stack.topic : undefined;
  }

  /** The snapshot records one decision per action, which stands for every resource. */
  async simulate(roleArn: string, actions: readonly string[], resources: readonly string[]): Promise<SimulatedPermission[]> {
    const recorded = this.stack?.permissions[roleArn] ?? {};
    return actions.flatMap((action) => resources.map((resource): SimulatedPermission => ({ action, resource, decision: recorded[action] ?? 'implicitDeny' })));
  }

  async accountId(): Promise<string> {
    return this.account;
  }

  async stateMachineRuns(stateMachineArn: string): Promise<StateMachineRuns> {
    const name = stateMachineArn.slice(stateMachineArn.lastIndexOf(':') + 1);
    const machine = this.stack?.stateMachines.find((candidate) => candidate.name === name);
    if (!machine) return { exists: false };
    return machine.lastExecution ? { exists: true, lastExecution: machine.lastExecution } : { exists: true };
  }
}
