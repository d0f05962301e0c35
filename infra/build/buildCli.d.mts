import type { BuildOptions, BuildResult } from 'esbuild';

export declare const CLI_ENTRY_NAME: string;
export declare function cliBuildOptions(outdir?: string): BuildOptions;
export declare function buildCli(outdir?: string): Promise<BuildResult<{ metafile: true }>>;
