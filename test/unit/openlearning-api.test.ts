/**
 * The OpenLearning API client against the fake OpenLearning (a real HTTP server on loopback):
 * which call goes where, with which headers and body, and how each kind of answer is read.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createOpenLearningClient, type EnrolmentTarget } from '../../src/clients/openlearning-api.js';
import { alreadyEnrolled, answer, FakeOpenLearning, JSON_CONTENT_TYPE } from '../helpers/fake-openlearning.js';

const KEY = 'unit-test-api-key-9c1e7';
let ol: FakeOpenLearning;
beforeAll(async () => {
  ol = await new FakeOpenLearning(KEY).start();
});
afterAll(async () => ol?.stop());
beforeEach(() => ol.reset());

const client = (enrolApi: 'form' | 'json', apiKey = KEY) =>
  createOpenLearningClient({ apiUrl: ol.apiUrl, apiKey, timeoutMs: 2000, enrolApi, institution: 'inst/with space' });
const aClass: EnrolmentTarget = { kind: 'class', courseId: 'course-1', classId: 'class-1', userId: 'user-1' };
const aProgram: EnrolmentTarget = { kind: 'program', programId: 'prog 7', userId: 'user-2' };

describe('the calls', () => {
  test('form: the documented call, key in the header and the query', async () => {
    expect(await client('form').enrol(aClass)).toMatchObject({ kind: 'enrolled', status: 201 });
    const [call] = ol.enrolmentCalls();
    expect(call!.headers['x-api-key']).toBe(KEY);
    expect(call!.query).toEqual({ api_key: KEY });
    expect(call!.form).toEqual({ class: 'class-1', user: 'user-1' });
  });

  test('json: submit-json, exact content type, key only in the header', async () => {
    expect((await client('json').enrol(aClass)).kind).toBe('enrolled');
    const [call] = ol.jsonEnrolmentCalls();
    expect(call!.headers['content-type']).toBe(JSON_CONTENT_TYPE);
    expect(call!.query).toEqual({});
    expect(call!.json).toEqual({ user: 'user-1', course: 'course-1', class: 'class-1', send_welcome_email: true, ignore_course_prereqs: false });
  });

  test('program: the institution and program are path segments, escaped; the body is just the user', async () => {
    expect((await client('form').enrol(aProgram)).kind).toBe('enrolled');
    const [call] = ol.programEnrolmentCalls();
    expect(call!.path).toBe('/api/v2.2/institutions/inst%2Fwith%20space/programs/prog%207/enrolments/');
    expect(call!.institution).toBe('inst/with space');
    expect(call!.program).toBe('prog 7');
    expect(call!.json).toEqual({ user: 'user-2' });
  });

  test('a wrong key is refused by the fake (the header is what it checks), and the message never holds the key', async () => {
    const outcome = await client('json', 'a-wrong-key-123').enrol(aClass);
    expect(outcome).toEqual({ kind: 'rejected', status: 401, message: 'Authentication credentials were not provided.' });
  });
});

describe('reading the answers', () => {
  test('"already enrolled" in a 4xx counts as enrolled, and says so', async () => {
    ol.respondWith(alreadyEnrolled('class'), answer(409, { detail: 'This user has already been enrolled.' }));
    expect(await client('json').enrol(aClass)).toEqual({
      kind: 'enrolled',
      status: 400,
      message: 'Already enrolled, OpenLearning said: User is already enrolled in this class.',
    });
    expect((await client('form').enrol(aClass)).kind).toBe('enrolled');
  });

  test('OpenLearning’s words come from meta.error, detail, field errors, or the body itself', async () => {
    ol.respondWith(
      answer(400, { meta: { status: 400, error: 'Class is full.' }, data: null }),
      answer(404, { detail: 'Not found.' }),
      answer(400, { user: ['This field is required.'] }),
      answer(403, 'plain words'),
    );
    expect(await client('json').enrol(aClass)).toEqual({ kind: 'rejected', status: 400, message: 'Class is full.' });
    expect((await client('json').enrol(aClass)).message).toBe('Not found.');
    expect((await client('json').enrol(aClass)).message).toBe('user: This field is required.');
    expect((await client('json').enrol(aClass)).message).toBe('plain words');
  });

  test('a 200 whose meta.status says it failed is not an enrolment; 5xx in meta is retried', async () => {
    ol.respondWith(answer(200, { meta: { status: 400, error: 'Program not open.' }, data: null }), answer(200, { meta: { status: 503, error: 'Busy.' } }));
    expect(await client('json').enrol(aProgram)).toEqual({ kind: 'rejected', status: 200, message: 'Program not open.' });
    expect((await client('json').enrol(aProgram)).kind).toBe('retry');
  });

  test('a key echoed in an answer is scrubbed from the message', async () => {
    ol.respondWith(answer(400, { detail: `bad key ${KEY}` }));
    expect((await client('form').enrol(aClass)).message).toBe('bad key [redacted]');
  });
});
