/**
 * The demo course the sandbox shows: one class per interesting currency, one that fails, and a
 * program sold the way OpenLearning's institution External Gateway sells programs.
 */
export interface DemoClass {
  id: string;
  name: string;
  currency: string;
  price: string;
  note: string;
  /** The sandbox enrolment API refuses this class, to show staff what a failed enrolment looks like. */
  refusesEnrolment?: boolean;
}

export const DEMO_COURSE = {
  id: 'demo-course-marine-biology',
  title: 'Introduction to Marine Biology',
  summary: 'Six weeks of reefs, currents and the creatures that live in them. A demo course: nothing here is real.',
};

export const DEMO_CLASSES: readonly DemoClass[] = [
  { id: 'demo-class-aud', name: 'Sydney cohort, March', currency: 'AUD', price: '1100.00', note: 'Price includes GST.' },
  { id: 'demo-class-eur', name: 'Berlin cohort, April', currency: 'EUR', price: '250.00', note: 'The invoice has a SEPA QR code.' },
  { id: 'demo-class-jpy', name: 'Tokyo cohort, May', currency: 'JPY', price: '30000', note: 'Yen have no decimals.' },
  { id: 'demo-class-myr', name: 'Kuala Lumpur cohort, June', currency: 'MYR', price: '450.00', note: 'Ringgit.' },
  {
    id: 'demo-class-refused',
    name: 'Closed cohort (demo of a failed enrolment)',
    currency: 'AUD',
    price: '99.00',
    note: 'The sandbox API refuses this enrolment, so you can see what staff see.',
    refusesEnrolment: true,
  },
];

export interface DemoProgram {
  id: string;
  title: string;
  currency: string;
  price: string;
  note: string;
}

export const DEMO_PROGRAMS: readonly DemoProgram[] = [
  {
    id: 'demo-program-ocean-science',
    title: 'Ocean Science Program',
    currency: 'AUD',
    price: '2400.00',
    note: 'Three courses in one program, enrolled through the program enrolment API.',
  },
];

export const DEMO_LEARNERS = [
  { id: 'demo-learner-zoe', label: 'Zoë Ωμέγα (demo-learner-zoe)' },
  { id: 'demo-learner-yamada', label: '山田 花子 (demo-learner-yamada)' },
  { id: 'demo-learner-amira', label: 'أميرة (demo-learner-amira)' },
];
