/**
 * Runs a fleet state machine's definition in-process, step by step, the way Step Functions does for
 * the parts it uses: Task states that invoke Lambda (`Parameters` with `.$` paths, `ResultSelector`,
 * `ResultPath`, `OutputPath`), and a Distributed Map with `ItemReader` (S3 JSON), `ItemBatcher`
 * (`MaxItemsPerBatch`, `BatchInput`), `ToleratedFailurePercentage` and `ResultWriter` (manifest and
 * per-status files, Transformation NONE). Handlers are the real Lambda entry points.
 *
 * A failed Map Run fails the execution at the Map; `redrive()` reruns only the child executions that
 * did not succeed and continues, as RedriveExecution does. Every end of the execution (SUCCEEDED,
 * FAILED) is recorded in `statusChanges` as the `Step Functions Execution Status Change` event
 * EventBridge delivers (today's shape: with error, cause and the redrive fields).
 */
import { randomUUID } from 'node:crypto';

type Json = any;
export type LambdaHandler = (event: unknown, context: unknown) => Promise<unknown>;

export interface ChildExecution {
  executionArn: string;
  input: Json;
  status: 'SUCCEEDED' | 'FAILED';
  output?: Json;
  error?: string;
  cause?: string;
  redriveCount: number;
}

export interface DriverStore {
  put(key: string, value: unknown): void;
  get(key: string): unknown;
}

export interface Execution {
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  executionArn: string;
  output?: Json;
  error?: string;
  cause?: string;
  children: ChildExecution[];
}

export class FleetStateMachineDriver {
  private readonly definition: Json;
  private readonly functions: Record<string, LambdaHandler>;
  private readonly store: DriverStore;
  private readonly bucket: string;
  private readonly context: () => unknown;
  private readonly stateMachineArn: string;
  private execution: (Execution & { name: string; startTime: string; state: string; data: Json; input: Json; redriveCount: number; mapRunId?: string }) | undefined;
  /** The status change events of the execution's ends, in order (what an EventBridge rule would see). */
  readonly statusChanges: Json[] = [];

  constructor(options: {
    definition: Json;
    /** Placeholder name (`ListFunctionArn`, …) → the handler it names. */
    functions: Record<string, LambdaHandler>;
    bucket: string;
    store: DriverStore;
    stateMachineArn: string;
    lambdaContext: () => unknown;
  }) {
    this.definition = options.definition;
    this.functions = options.functions;
    this.store = options.store;
    this.bucket = options.bucket;
    this.stateMachineArn = options.stateMachineArn;
    this.context = options.lambdaContext;
  }

  async start(input: Json = {}, name: string = randomUUID()): Promise<Execution> {
    const executionArn = this.stateMachineArn.replace(':stateMachine:', ':execution:') + `:${name}`;
    this.execution = { status: 'RUNNING', executionArn, name, startTime: '2026-11-20T18:00:00.000Z', state: this.definition.StartAt, data: input, input, redriveCount: 0, children: [] };
    return this.continue();
  }

  /** Restarts a failed execution from the state it failed in; a Map reruns only its unsuccessful children. */
  async redrive(): Promise<Execution> {
    const execution = this.execution;
    if (!execution || execution.status !== 'FAILED') throw new Error('only a failed execution can be redriven');
    execution.status = 'RUNNING';
    execution.redriveCount += 1;
    delete execution.error;
    delete execution.cause;
    return this.continue();
  }

  private async continue(): Promise<Execution> {
    const execution = this.execution as NonNullable<typeof this.execution>;
    for (;;) {
      const state = this.definition.States[execution.state];
      try {
        const result = state.Type === 'Map' ? await this.runMap(state, execution.data) : await this.runTask(state, execution.data);
        execution.data = result;
      } catch (error) {
        execution.status = 'FAILED';
        execution.error = (error as { error?: string }).error ?? 'States.TaskFailed';
        execution.cause = (error as Error).message;
        this.recordStatusChange();
        return this.snapshot();
      }
      if (state.End) {
        execution.status = 'SUCCEEDED';
        execution.output = execution.data;
        this.recordStatusChange();
        return this.snapshot();
      }
      execution.state = state.Next;
    }
  }

  private recordStatusChange(): void {
    const execution = this.execution as NonNullable<typeof this.execution>;
    const [, , , region, account] = execution.executionArn.split(':');
    const failed = execution.status === 'FAILED';
    this.statusChanges.push({
      version: '0',
      id: randomUUID(),
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account,
      time: '2026-11-20T18:20:00Z',
      region,
      resources: [execution.executionArn],
      detail: {
        executionArn: execution.executionArn,
        stateMachineArn: this.stateMachineArn,
        name: execution.name,
        status: execution.status,
        startDate: Date.parse(execution.startTime),
        stopDate: Date.parse('2026-11-20T18:20:00Z'),
        input: JSON.stringify(execution.input),
        inputDetails: { included: true },
        output: failed ? null : JSON.stringify(execution.output),
        outputDetails: failed ? null : { included: true },
        redriveCount: execution.redriveCount,
        redriveDate: execution.redriveCount > 0 ? Date.parse('2026-11-20T18:10:00Z') : null,
        redriveStatus: failed ? 'REDRIVABLE' : 'NOT_REDRIVABLE',
        redriveStatusReason: failed ? null : 'Execution is SUCCEEDED and cannot be redriven',
        ...(failed ? { error: execution.error, cause: execution.cause } : {}),
      },
    });
  }

  private snapshot(): Execution {
    const { status, executionArn, output, error, cause, children } = this.execution as Execution;
    return { status, executionArn, output, ...(error ? { error } : {}), ...(cause ? { cause } : {}), children: [...children] };
  }

  private async runTask(state: Json, input: Json): Promise<Json> {
    if (state.Resource !== 'arn:aws:states:::lambda:invoke') throw new Error(`driver: unsupported resource ${state.Resource}`);
    const parameters = this.resolve(state.Parameters, input);
    const payload = await this.invoke(parameters.FunctionName, parameters.Payload);
    let result: Json = { Payload: payload, StatusCode: 200 };
    if (state.ResultSelector) result = this.resolve(state.ResultSelector, result);
    const merged = state.ResultPath ? setPath(input, state.ResultPath, result) : result;
    return state.OutputPath ? getPath(merged, state.OutputPath, {}) : merged;
  }

  private async invoke(functionName: string, payload: Json): Promise<Json> {
    const placeholder = /^\$\{(\w+)\}$/.exec(functionName)?.[1];
    const handler = placeholder ? this.functions[placeholder] : undefined;
    if (!handler) throw new Error(`driver: no handler for ${functionName}`);
    // A Lambda payload crosses the wire as JSON.
    return JSON.parse(JSON.stringify(await handler(JSON.parse(JSON.stringify(payload)), this.context()))) as Json;
  }

  private async runMap(state: Json, input: Json): Promise<Json> {
    const execution = this.execution as NonNullable<typeof this.execution>;
    if (state.ItemProcessor?.ProcessorConfig?.Mode !== 'DISTRIBUTED') throw new Error('driver: only Distributed Map is supported');
    if (execution.children.length === 0) {
      const reader = this.resolve(state.ItemReader.Parameters, input);
      const items = this.store.get(reader.Key) as Json[];
      if (!Array.isArray(items)) throw new Error(`driver: ItemReader ${reader.Key} is not a JSON array`);
      const batchInput = this.resolve(state.ItemBatcher.BatchInput ?? {}, input);
      const size = state.ItemBatcher.MaxItemsPerBatch;
      execution.mapRunId = randomUUID();
      const machineName = this.stateMachineArn.split(':').pop();
      for (let offset = 0; offset < items.length; offset += size) {
        execution.children.push({
          executionArn: `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}/Batches:${randomUUID()}`.replace(`:${machineName}/`, `:${machineName}/`),
          input: { Items: items.slice(offset, offset + size), BatchInput: batchInput },
          status: 'FAILED',
          redriveCount: -1,
        });
      }
    }
    // Child executions that did not succeed run (again): all of them the first time, only those on a redrive.
    for (const child of execution.children) {
      if (child.status === 'SUCCEEDED') continue;
      child.redriveCount += 1;
      try {
        child.output = await this.runChild(state.ItemProcessor, child.input);
        child.status = 'SUCCEEDED';
        delete child.error;
        delete child.cause;
      } catch (error) {
        child.status = 'FAILED';
        child.error = (error as { errorType?: string }).errorType ?? (error as Error).name ?? 'Error';
        child.cause = JSON.stringify({ errorType: child.error, errorMessage: (error as Error).message });
      }
    }
    const failed = execution.children.filter((child) => child.status === 'FAILED').length;
    const tolerated = state.ToleratedFailurePercentage ?? 0;
    const manifestKey = this.writeResults(state, input);
    if (execution.children.length > 0 && (failed * 100) / execution.children.length > tolerated) {
      throw Object.assign(new Error(`The number of failed items exceeded the failure threshold of the Map Run (${failed} of ${execution.children.length})`), { error: 'States.ExceedToleratedFailureThreshold' });
    }
    const output = { MapRunArn: `${this.stateMachineArn.replace(':stateMachine:', ':mapRun:')}/Batches:${execution.mapRunId}`, ResultWriterDetails: { Bucket: this.bucket, Key: manifestKey } };
    return state.ResultPath ? setPath(input, state.ResultPath, output) : output;
  }

  private async runChild(processor: Json, input: Json): Promise<Json> {
    let data = input;
    let name = processor.StartAt;
    for (;;) {
      const state = processor.States[name];
      data = await this.runTask(state, data);
      if (state.End) return data;
      name = state.Next;
    }
  }

  private writeResults(state: Json, input: Json): string {
    const execution = this.execution as NonNullable<typeof this.execution>;
    const writer = this.resolve(state.ResultWriter.Parameters, input);
    return writeMapRunResults(this.store, {
      bucket: writer.Bucket,
      prefix: writer.Prefix,
      mapRunId: execution.mapRunId ?? '',
      stateMachineArn: this.stateMachineArn,
      children: execution.children,
    });
  }

  /** Parameters: `key.$` values are paths into the input (`$…`) or the context object (`$$…`). */
  private resolve(template: Json, input: Json): Json {
    if (Array.isArray(template)) return template.map((value) => this.resolve(value, input));
    if (template === null || typeof template !== 'object') return typeof template === 'string' ? this.substitute(template) : template;
    const execution = this.execution as NonNullable<typeof this.execution>;
    const context = { Execution: { Id: execution.executionArn, Name: execution.name, StartTime: execution.startTime } };
    const out: Json = {};
    for (const [key, value] of Object.entries(template)) {
      if (key.endsWith('.$')) out[key.slice(0, -2)] = String(value).startsWith('$$') ? getPath(context, String(value).slice(1), {}) : getPath(input, String(value), {});
      else out[key] = this.resolve(value, input);
    }
    return out;
  }

  /** CloudFormation's DefinitionSubstitutions for the bucket; function placeholders stay for `invoke`. */
  private substitute(text: string): string {
    return text === '${FleetBucket}' ? this.bucket : text;
  }
}

function getPath(data: Json, path: string, _context: Json): Json {
  if (path === '$') return data;
  if (!path.startsWith('$.')) throw new Error(`driver: unsupported path ${path}`);
  let value = data;
  for (const part of path.slice(2).split('.')) {
    if (value === null || typeof value !== 'object' || !(part in value)) throw Object.assign(new Error(`Invalid path '${path}': the field '${part}' does not exist`), { error: 'States.Runtime' });
    value = value[part];
  }
  return value;
}

function setPath(data: Json, path: string, value: Json): Json {
  if (path === '$') return value;
  const parts = path.slice(2).split('.');
  const copy = structuredClone(data ?? {});
  let target = copy;
  for (const part of parts.slice(0, -1)) target = target[part] ??= {};
  target[parts[parts.length - 1] as string] = value;
  return copy;
}

/**
 * What a Distributed Map's ResultWriter leaves (Transformation NONE, JSON): one file per status
 * with a record per child execution, and `<Prefix>/<map run id>/manifest.json` naming them.
 * Returns the manifest's key. Used by the driver and by `npm run bench -- fleet`.
 */
export function writeMapRunResults(
  store: DriverStore,
  run: { bucket: string; prefix: string; mapRunId: string; stateMachineArn: string; children: readonly ChildExecution[] },
): string {
  const base = `${run.prefix}/${run.mapRunId}`;
  const mapRunArn = `${run.stateMachineArn.replace(':stateMachine:', ':mapRun:')}/Batches:${run.mapRunId}`;
  const record = (child: ChildExecution) => ({
    ExecutionArn: child.executionArn,
    Input: JSON.stringify(child.input),
    InputDetails: { Included: true },
    Name: child.executionArn.split(':').pop(),
    RedriveCount: child.redriveCount,
    RedriveStatus: child.status === 'FAILED' ? 'REDRIVABLE' : 'NOT_REDRIVABLE',
    StateMachineArn: run.stateMachineArn,
    Status: child.status,
    ...(child.status === 'SUCCEEDED' ? { Output: JSON.stringify(child.output), OutputDetails: { Included: true } } : { Error: child.error, Cause: child.cause }),
  });
  const files: Record<string, Array<{ Key: string; Size: number }>> = { SUCCEEDED: [], FAILED: [], PENDING: [] };
  for (const status of ['SUCCEEDED', 'FAILED'] as const) {
    const records = run.children.filter((child) => child.status === status).map(record);
    if (records.length === 0) continue;
    const key = `${base}/${status}_0.json`;
    store.put(key, records);
    files[status]?.push({ Key: key, Size: JSON.stringify(records).length });
  }
  const manifestKey = `${base}/manifest.json`;
  store.put(manifestKey, { DestinationBucket: run.bucket, MapRunArn: mapRunArn, ResultFiles: files });
  return manifestKey;
}
