/** A Sahut contact as the scan index keeps it: its normalised identity and the contact as listed (JSON). */
export interface IndexedContact {
  sahutId: string;
  phone: string | null;
  email: string | null;
  contact: unknown;
}

/** Two Sahut contacts sharing a normalised phone or email, `a` < `b`. */
export interface DuplicatePair {
  a: string;
  b: string;
  by: 'phone' | 'email';
}

export interface SahutScan {
  id: string;
  startedAt: Date;
  finishedAt: Date | null;
  contacts: number;
  pages: number;
}
