/**
 * executeReport as SEQR advises to use it (spec: ask again after 3–5 s while the report is being made), and a
 * report's XML content as data.
 */
import type { SeqrClient } from './client';
import { resultCode } from './codes';
import { SeqrError } from './errors';
import { parseReportXml, type ReportData } from './report-data';
import type { SeqrReport } from './types';

const REPORT_NOT_READY = resultCode('REPORT_NOT_READY');

export interface ReportPacing {
  /** Time between calls while SEQR answers REPORT_NOT_READY. */
  retryMs: number;
  /** No further call once the next one would start later than this after the first. */
  giveUpMs: number;
  /** Waits `ms` before the next call (the caller may end waits early, e.g. when it closes). */
  wait(ms: number): Promise<void>;
  /** True when no further call should be made (the caller is closing). */
  stopped(): boolean;
  /** Told before each wait. */
  onNotReady?(): void;
}

/** Whether `err` is SEQR's 2 REPORT_NOT_READY: what reportWhenReady throws when it gives up. */
export function isReportNotReady(err: unknown): err is SeqrError {
  return err instanceof SeqrError && err.code === REPORT_NOT_READY;
}

/**
 * executeReport, asking again while SEQR answers REPORT_NOT_READY, at `pacing.retryMs` for up to
 * `pacing.giveUpMs`; then (or once `stopped`) the last REPORT_NOT_READY is thrown. Other failures at once.
 */
export async function reportWhenReady(
  client: SeqrClient,
  reportId: string,
  language: string | undefined,
  parameters: Record<string, string>,
  pacing: ReportPacing,
): ReturnType<SeqrClient['executeReport']> {
  const giveUpAt = Date.now() + pacing.giveUpMs;
  for (;;) {
    try {
      return await client.executeReport(reportId, language, parameters);
    } catch (err) {
      if (!isReportNotReady(err) || pacing.stopped() || Date.now() + pacing.retryMs > giveUpAt) throw err;
      pacing.onNotReady?.();
      await pacing.wait(pacing.retryMs);
    }
  }
}

/** A report's content as data when it is XML (`data`), or why that XML could not be read (`parseError`). */
export function reportDataOf(report: SeqrReport): { data?: ReportData; parseError?: string } {
  if (!report.contentString?.trimStart().startsWith('<')) return {};
  try {
    return { data: parseReportXml(report.contentString) };
  } catch (err) {
    return { parseError: (err as Error).message };
  }
}
