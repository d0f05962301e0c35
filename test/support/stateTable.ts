/**
 * The stack's state table behind a mocked DynamoDB client, as `DynamoStateStore` uses it: GetItem,
 * UpdateItem with its conditions (absent or expired; this version and not expired; a counter's
 * `data.used` within a bound and not expired) and its SET/ADD/REMOVE updates (a counter's
 * `SET #data.#used = #data.#used ± :n` applied to the item as it was), DeleteItem with a version
 * condition. A condition that does not hold fails with ConditionalCheckFailedException, carrying
 * the item when the request asks `ReturnValuesOnConditionCheckFailure: ALL_OLD`, as DynamoDB answers.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DeleteItemCommandInput,
  GetItemCommand,
  type GetItemCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { AwsStub } from 'aws-sdk-client-mock';

type Item = Record<string, AttributeValue>;

export interface FakeStateTable {
  /** Live items by `pk|sk`. */
  readonly items: Map<string, Item>;
}

export function fakeStateTable(dynamo: AwsStub<any, any, any>, tableName: string): FakeStateTable {
  const items = new Map<string, Item>();
  const keyOf = (input: { Key?: Record<string, AttributeValue> }) => `${input.Key?.pk?.S}|${input.Key?.sk?.S}`;
  const failed = (input?: UpdateItemCommandInput, current?: Item) =>
    new ConditionalCheckFailedException({
      message: 'The conditional request failed',
      $metadata: { httpStatusCode: 400 },
      ...(input?.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && current ? { Item: structuredClone(current) } : {}),
    });
  const number = (value: AttributeValue | undefined) => (value?.N === undefined ? undefined : Number(value.N));

  dynamo.on(GetItemCommand, { TableName: tableName }).callsFake((input: GetItemCommandInput) => {
    const item = items.get(keyOf(input));
    return item ? { Item: structuredClone(item) } : {};
  });

  dynamo.on(UpdateItemCommand, { TableName: tableName }).callsFake((input: UpdateItemCommandInput) => {
    const key = keyOf(input);
    const current = items.get(key);
    const values = input.ExpressionAttributeValues ?? {};
    const condition = input.ConditionExpression ?? '';
    const expiresAt = number(current?.expiresAt);
    const live = expiresAt === undefined || expiresAt > (number(values[':now']) ?? 0);
    const used = number(current?.data?.M?.used);
    if (condition.includes('attribute_not_exists(#pk)')) {
      if (current && live) throw failed(input, current);
    } else if (condition.includes('#version = :expected')) {
      if (!current || number(current.version) !== number(values[':expected']) || !live) throw failed(input, current);
    } else if (condition.startsWith('#data.#used <= :room AND (attribute_not_exists(#expiresAt) OR #expiresAt > :now)')) {
      if (!current || !live || used === undefined || used > (number(values[':room']) ?? Number.NaN)) throw failed(input, current);
    } else if (condition.startsWith('#data.#used >= :n AND (attribute_not_exists(#expiresAt) OR #expiresAt > :now)')) {
      if (!current || !live || used === undefined || used < (number(values[':n']) ?? Number.NaN)) throw failed(input, current);
    } else if (condition !== '') {
      throw new Error(`the fake state table does not know the condition ${condition}`);
    }
    const expression = input.UpdateExpression ?? '';
    const next: Item = { ...(input.Key ?? {}), ...(current ?? {}) };
    if (values[':data']) next.data = values[':data'];
    const counted = /#data\.#used = #data\.#used ([+-]) :n/.exec(expression);
    if (counted) {
      if (used === undefined) throw new Error('The provided expression refers to an attribute that does not exist in the item');
      next.data = { M: { ...current?.data?.M, used: { N: String(used + (counted[1] === '+' ? 1 : -1) * (number(values[':n']) ?? Number.NaN)) } } };
    }
    if (values[':updatedAt']) next.updatedAt = values[':updatedAt'];
    if (expression.includes('#version = :one')) next.version = { N: '1' };
    else if (expression.includes('#version = :next')) next.version = values[':next'] as AttributeValue;
    else if (expression.includes('ADD #version :one')) next.version = { N: String((number(current?.version) ?? 0) + 1) };
    if (expression.includes('#expiresAt = :expiresAt')) next.expiresAt = values[':expiresAt'] as AttributeValue;
    if (expression.includes('REMOVE #expiresAt')) delete next.expiresAt;
    items.set(key, next);
    return { Attributes: structuredClone(next) };
  });

  dynamo.on(DeleteItemCommand, { TableName: tableName }).callsFake((input: DeleteItemCommandInput) => {
    const key = keyOf(input);
    const expected = number(input.ExpressionAttributeValues?.[':expected']);
    if (expected !== undefined && number(items.get(key)?.version) !== expected) throw failed();
    items.delete(key);
    return {};
  });

  return { items };
}
