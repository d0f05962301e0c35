import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { OncePerKey } from './oncePerKey';

/** How long a published notice is remembered: longer than EventBridge's and SNS's redelivery windows. */
export const NOTICE_MEMORY_SECONDS = 24 * 60 * 60;

/**
 * `OncePerKey` backed by Powertools idempotency and a DynamoDB table (`IDEMPOTENCY_TABLE_NAME`).
 * A second delivery of the same event gets the first result back and runs nothing; a delivery that
 * overlaps one still in progress fails and is retried by Lambda, then finds the completed record.
 *
 * @example
 * const once = powertoolsOncePerKey({ tableName: 'ecr-autopilot-idempotency' });
 * await once.run(notice.id, () => publish(notice));
 */
export function powertoolsOncePerKey(options: {
  tableName: string;
  client?: DynamoDBClient;
  expiresAfterSeconds?: number;
}): OncePerKey & { registerLambdaContext(context: { getRemainingTimeInMillis(): number }): void } {
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: options.tableName,
    ...(options.client ? { awsSdkV3Client: options.client } : {}),
  });
  const config = new IdempotencyConfig({ eventKeyJmesPath: 'key', expiresAfterSeconds: options.expiresAfterSeconds ?? NOTICE_MEMORY_SECONDS });
  return {
    registerLambdaContext(context) {
      // Lets Powertools expire an in-progress record if the invocation times out.
      config.registerLambdaContext(context as Parameters<IdempotencyConfig['registerLambdaContext']>[0]);
    },
    async run<T extends object>(key: string, effect: () => Promise<T>) {
      let firstTime = false;
      const runOnce = makeIdempotent(
        async (_input: { key: string }): Promise<T> => {
          firstTime = true;
          return effect();
        },
        { persistenceStore, config },
      );
      const value = await runOnce({ key });
      return { value, firstTime };
    },
  };
}
