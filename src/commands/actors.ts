/** Who does something, for the audit log and for the lifecycle's "who may do what". */
import type { Staff } from '../db/staff.js';
import type { ActorRole } from '../domain/invoice-lifecycle.js';

export interface Actor {
  /** 'system', 'learner', 'cli' or 'staff:<id>' */
  actor: string;
  actorLabel: string;
}

/** Someone acting on an invoice: staff (by role), the learner, or the command line. */
export interface InvoiceActor extends Actor {
  role: ActorRole;
  /** The staff account, when a person signed in to the finance desk acts. */
  staffId: number | null;
}

export function staffActor(staff: Pick<Staff, 'id' | 'email' | 'role'>): InvoiceActor {
  return { actor: `staff:${staff.id}`, actorLabel: staff.email, role: staff.role, staffId: staff.id };
}

/** `npx portal ...`: whoever can run it on the server has the administrator's rights. */
export const COMMAND_LINE_ACTOR: InvoiceActor = { actor: 'cli', actorLabel: 'command line', role: 'admin', staffId: null };

export function learnerActor(invoice: { buyerEmail: string }): InvoiceActor {
  return { actor: 'learner', actorLabel: invoice.buyerEmail, role: 'learner', staffId: null };
}

export function systemActor(label: string): Actor {
  return { actor: 'system', actorLabel: label };
}
