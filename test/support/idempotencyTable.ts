/**
 * An in-memory DynamoDB idempotency table behind `mockClient(DynamoDBClient)`, with the conditional
 * put Powertools relies on: a second PutItem of a live record fails with
 * ConditionalCheckFailedException carrying the stored item (ReturnValuesOnConditionCheckFailure).
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DeleteItemCommandInput,
  type GetItemCommandInput,
  type PutItemCommandInput,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { AwsStub } from 'aws-sdk-client-mock';

type Item = Record<string, AttributeValue>;

/** Drives a mocked DynamoDB client like a real idempotency table; returns the stored items by key. */
export function fakeIdempotencyTable(dynamo: AwsStub<any, any, any>): Map<string, Item> {
  const items = new Map<string, Item>();
  const keyOf = (key: Item | undefined): string => key?.id?.S ?? '';
  const live = (item: Item): boolean => {
    const expired = Number(item.expiration?.N ?? '0') < Date.now() / 1000;
    const staleInProgress = item.status?.S === 'INPROGRESS' && item.in_progress_expiration?.N !== undefined && Number(item.in_progress_expiration.N) < Date.now();
    return !expired && !staleInProgress;
  };
  dynamo.on(PutItemCommand).callsFake((input: PutItemCommandInput) => {
    const item = input.Item ?? {};
    const existing = items.get(keyOf(item));
    if (existing && live(existing)) {
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 }, Item: existing });
    }
    items.set(keyOf(item), item);
    return {};
  });
  dynamo.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => {
    const values = input.ExpressionAttributeValues ?? {};
    const key = keyOf(input.Key);
    const next: Item = { ...(items.get(key) ?? input.Key ?? {}) };
    if (values[':status']) next.status = values[':status'];
    if (values[':expiry']) next.expiration = values[':expiry'];
    if (values[':response_data']) next.data = values[':response_data'];
    items.set(key, next);
    return {};
  });
  dynamo.on(DeleteItemCommand).callsFake((input: DeleteItemCommandInput) => {
    items.delete(keyOf(input.Key));
    return {};
  });
  dynamo.on(GetItemCommand).callsFake((input: GetItemCommandInput) => ({ Item: items.get(keyOf(input.Key)) }));
  return items;
}
