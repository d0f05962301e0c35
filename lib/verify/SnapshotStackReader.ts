import type { SnapshotStack } from '../ecr/registrySnapshot';
import type { PermissionDecision, RegistryScanning, StackReader, StackRule, StateMachineRuns, TopicState } from './StackReader';

/** The stack as a registry snapshot recorded it (`stack` section), for plan-mode verification. */
export class SnapshotStackReader implements StackReader {
  constructor(private readonly stack: SnapshotStack | undefined) {}

  async registryScanning(): Promise<RegistryScanning> {
    return this.stack?.registryScanning ?? { scanType: 'BASIC', rules: [] };
  }

  async rulesWithPrefix(prefix: string): Promise<StackRule[]> {
    return (this.stack?.eventRules ?? []).filter((rule) => rule.name.startsWith(prefix));
  }

  async topic(topicArn: string): Promise<TopicState | undefined> {
    return this.stack?.topic && this.stack.topic.arn === topicArn ? this.stack.topic : undefined;
  }

  async simulate(roleArn: string, actions: readonly string[]): Promise<Record<string, PermissionDecision>> {
    const recorded = this.stack?.permissions[roleArn] ?? {};
    return Object.fromEntries(actions.map((action) => [action, recorded[action] ?? 'implicitDeny']));
  }

  async stateMachineRuns(stateMachineArn: string): Promise<StateMachineRuns> {
    const name = stateMachineArn.slice(stateMachineArn.lastIndexOf(':') + 1);
    const machine = this.stack?.stateMachines.find((candidate) => candidate.name === name);
    if (!machine) return { exists: false };
    return machine.lastExecution ? { exists: true, lastExecution: machine.lastExecution } : { exists: true };
  }
}
