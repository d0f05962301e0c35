import { GetRegistryScanningConfigurationCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { ListRulesCommand, ListTargetsByRuleCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SimulatePrincipalPolicyCommand, type IAMClient } from '@aws-sdk/client-iam';
import { DescribeStateMachineCommand, ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { GetTopicAttributesCommand, ListSubscriptionsByTopicCommand, type SNSClient } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { AutopilotError } from '../errors';
import { callAws } from '../shared/awsCall';
import type { CallOptions } from '../shared/retry';
import type { PermissionDecision, RegistryScanning, SimulatedPermission, StackReader, StackRule, StateMachineRuns, TopicState } from './StackReader';

/** The live stack reader: ECR, EventBridge, SNS, IAM, Step Functions and STS, read-only calls only, each with the caller's signal. */
export class AwsStackReader implements StackReader {
  constructor(private readonly clients: { ecr: ECRClient; events: EventBridgeClient; sns: SNSClient; iam: IAMClient; sfn: SFNClient; sts: STSClient }) {}

  async registryScanning(options: CallOptions = {}): Promise<RegistryScanning> {
    const output = await callAws('ecr:GetRegistryScanningConfiguration', (sdk) => this.clients.ecr.send(new GetRegistryScanningConfigurationCommand({}), sdk), options);
    const configuration = output.scanningConfiguration;
    return {
      scanType: configuration?.scanType === 'ENHANCED' ? 'ENHANCED' : 'BASIC',
      rules: (configuration?.rules ?? []).map((rule) => ({
        scanFrequency: rule.scanFrequency ?? 'MANUAL',
        filters: (rule.repositoryFilters ?? []).map((filter) => filter.filter ?? ''),
      })),
    };
  }

  async rulesWithPrefix(prefix: string, options: CallOptions = {}): Promise<StackRule[]> {
    const rules: StackRule[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await callAws('events:ListRules', (sdk) => this.clients.events.send(new ListRulesCommand({ NamePrefix: prefix, NextToken: token, Limit: 100 }), sdk), options);
      for (const rule of page.Rules ?? []) {
        if (!rule.Name) continue;
        const name = rule.Name;
        const targets = await callAws('events:ListTargetsByRule', (sdk) => this.clients.events.send(new ListTargetsByRuleCommand({ Rule: name, EventBusName: rule.EventBusName }), sdk), options);
        rules.push({ name, state: rule.State ?? 'UNKNOWN', targets: (targets.Targets ?? []).map((target) => target.Arn ?? '').filter((arn) => arn !== '') });
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return rules;
  }

  async topic(topicArn: string, options: CallOptions = {}): Promise<TopicState | undefined> {
    try {
      await callAws('sns:GetTopicAttributes', (sdk) => this.clients.sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }), sdk), options);
    } catch (error) {
      if (error instanceof Error && error.name === 'NotFoundException') return undefined;
      throw error;
    }
    const subscriptions: TopicState['subscriptions'] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await callAws('sns:ListSubscriptionsByTopic', (sdk) => this.clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: token }), sdk), options);
      for (const subscription of page.Subscriptions ?? []) {
        subscriptions.push({
          protocol: subscription.Protocol ?? 'unknown',
          endpoint: subscription.Endpoint ?? '',
          // An unconfirmed subscription has no ARN yet: SNS shows "PendingConfirmation" instead.
          confirmed: subscription.SubscriptionArn !== undefined && subscription.SubscriptionArn.startsWith('arn:'),
        });
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return { arn: topicArn, subscriptions };
  }

  /**
   * Every page of SimulatePrincipalPolicy, read per action and per resource. The simulator now
   * returns one EvaluationResult per action whose top-level decision aggregates all resources (the
   * most restrictive), with the per-resource decisions in ResourceSpecificResults; it used to return
   * one result per resource (https://docs.aws.amazon.com/IAM/latest/APIReference/API_EvaluationResult.html).
   * Both are read, so no resource's decision is lost to another's.
   */
  async simulate(roleArn: string, actions: readonly string[], resources: readonly string[], options: CallOptions = {}): Promise<SimulatedPermission[]> {
    const decisions = new Map<string, SimulatedPermission>();
    let marker: string | undefined;
    do {
      const token = marker;
      const output = await callAws(
        'iam:SimulatePrincipalPolicy',
        (sdk) => this.clients.iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: roleArn, ActionNames: [...actions], ResourceArns: [...resources], Marker: token }), sdk),
        options,
      );
      for (const result of output.EvaluationResults ?? []) {
        const action = result.EvalActionName;
        if (!action) continue;
        const perResource = result.ResourceSpecificResults ?? [];
        const entries =
          perResource.length > 0
            ? perResource.map((specific) => ({ resource: specific.EvalResourceName ?? '*', decision: specific.EvalResourceDecision }))
            : [{ resource: result.EvalResourceName ?? '*', decision: result.EvalDecision }];
        for (const { resource, decision } of entries) decisions.set(`${action} ${resource}`, { action, resource, decision: (decision as PermissionDecision | undefined) ?? 'implicitDeny' });
      }
      marker = output.IsTruncated ? output.Marker : undefined;
    } while (marker);
    return [...decisions.values()];
  }

  /** STS GetCallerIdentity: needs no permission (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html). */
  async accountId(options: CallOptions = {}): Promise<string> {
    const output = await callAws('sts:GetCallerIdentity', (sdk) => this.clients.sts.send(new GetCallerIdentityCommand({}), sdk), options);
    if (!output.Account) throw new AutopilotError('AWS_ERROR', 'sts:GetCallerIdentity returned no account; check the credentials in use');
    return output.Account;
  }

  async stateMachineRuns(stateMachineArn: string, options: CallOptions = {}): Promise<StateMachineRuns> {
    try {
      await callAws('states:DescribeStateMachine', (sdk) => this.clients.sfn.send(new DescribeStateMachineCommand({ stateMachineArn }), sdk), options);
    } catch (error) {
      if (error instanceof Error && error.name === 'StateMachineDoesNotExist') return { exists: false };
      throw error;
    }
    // ListExecutions returns the most recent executions first; one is enough.
    const page = await callAws('states:ListExecutions', (sdk) => this.clients.sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1 }), sdk), options);
    const last = page.executions?.[0];
    return last?.executionArn
      ? { exists: true, lastExecution: { executionArn: last.executionArn, status: last.status ?? 'UNKNOWN', startDate: (last.startDate ?? new Date(0)).toISOString() } }
      : { exists: true };
  }
}
