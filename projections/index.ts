import type { Projection } from '../src/projections/projection.ts';
import { projectsProjection } from './projects.ts';
import { credentialsProjection } from './credentials.ts';
import { auditProjection } from './audit.ts';
import { providersProjection } from './providers.ts';
import { usageProjection } from './usage.ts';

/**
 * Every read model the gateway keeps. The runner creates their tables, keeps them current and can
 * rebuild any of them from the log (`npm run projections:rebuild -- NAME`). Names must be unique.
 */
export const allProjections: Projection[] = [
  projectsProjection,
  credentialsProjection,
  auditProjection,
  providersProjection,
  usageProjection,
];
