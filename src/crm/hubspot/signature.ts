import { createHmac, timingSafeEqual } from 'node:crypto';

/** HubSpot refuses nothing older; neither do we (5 minutes, as its request-validation guide says). */
export const MAX_SIGNATURE_AGE_MS = 5 * 60_000;

// The characters HubSpot decodes in the URI before signing.
const DECODED: Record<string, string> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};

export interface SignedRequest {
  method: string;
  /** The full URL HubSpot called: scheme, host, path and query. */
  url: string;
  rawBody: string;
  signature: string | undefined;
  timestamp: string | undefined;
}

/**
 * HubSpot's v3 request signature: base64 HMAC-SHA256 with the app's client secret over
 * method + URI + body + timestamp. A timestamp older than 5 minutes (or from the future by as
 * much) is refused, and the comparison is constant-time.
 */
export function verifyHubspotSignature(
  req: SignedRequest,
  clientSecret: string,
  now = Date.now(),
): 'ok' | 'stale' | 'forged' {
  const ts = Number(req.timestamp);
  if (!req.signature || !req.timestamp || !Number.isFinite(ts)) return 'forged';
  if (Math.abs(now - ts) > MAX_SIGNATURE_AGE_MS) return 'stale';
  const uri = req.url.replace(
    /%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi,
    (m) => DECODED[m.toUpperCase()] ?? m,
  );
  const expected = createHmac('sha256', clientSecret)
    .update(`${req.method}${uri}${req.rawBody}${req.timestamp}`, 'utf8')
    .digest();
  const given = Buffer.from(req.signature, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'ok' : 'forged';
}
