import { dataverseErrorResponse, type HttpMessageResponse } from '../batch/http-message.ts';
import { invalidArgumentCode } from '../batch/batch-error.ts';
import { faultSettingsSchema, limitsSettingsSchema, parseSettings } from './limits-settings.ts';
import type { TrafficControl } from './traffic-control.ts';

function json(body: unknown): HttpMessageResponse {
  return { status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
}

/** `PUT /_emulator/limits` (interfaces.md §7): replaces the limits; answers the effective settings. */
export function putLimits(traffic: TrafficControl, body: unknown): HttpMessageResponse {
  const parsed = parseSettings(limitsSettingsSchema, body);
  if (!parsed.ok) {
    return dataverseErrorResponse(400, invalidArgumentCode, `Invalid limits: ${parsed.problems.join('; ')}.`);
  }
  traffic.configureLimits(parsed.value);
  return json(parsed.value);
}

/** `PUT /_emulator/faults` (interfaces.md §7): replaces the fault plan and reseeds it. */
export function putFaults(traffic: TrafficControl, body: unknown): HttpMessageResponse {
  const parsed = parseSettings(faultSettingsSchema, body);
  if (!parsed.ok) {
    return dataverseErrorResponse(400, invalidArgumentCode, `Invalid faults: ${parsed.problems.join('; ')}.`);
  }
  traffic.configureFaults(parsed.value);
  return json(parsed.value);
}
