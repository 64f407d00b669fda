/** Vitest global setup of the postgres project: one throwaway cluster for the whole run. */

import type { TestProject } from "vitest/node";
import { startCluster } from "./_cluster.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** A superuser URL of the run's cluster. */
    postgresUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startCluster();
  project.provide("postgresUrl", cluster.url);
  return () => cluster.stop();
}
