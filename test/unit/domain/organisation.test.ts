import { describe, expect, it } from 'vitest';
import {
  administrators,
  assertBillingRights,
  assertCanAssignRole,
  assertCanSeeDocument,
  assertKeepsALegalOwner,
  canSeeProduct,
  hasBillingRights,
  seesWholeOrganisation,
  type Member,
} from '../../../shared/domain/organisation.ts';
import { assertMethodAcceptsCurrency, savedMethodId, servesAutomaticRenewal } from '../../../shared/domain/payment-methods.ts';
import { BusinessRuleError, ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../../shared/domain/errors.ts';

const m = (role: Member['role'], over: Partial<Member> = {}): Member => ({
  orgId: 'o',
  userId: role,
  email: `${role}@x.ch`,
  name: role,
  role,
  billingRights: false,
  productIds: [],
  ...over,
});

describe('billing rights', () => {
  it('belong to legal owners, administrators and collaborators given billing rights', () => {
    expect(hasBillingRights(m('legal-owner'))).toBe(true);
    expect(hasBillingRights(m('administrator'))).toBe(true);
    expect(hasBillingRights(m('collaborator', { billingRights: true }))).toBe(true);
  });

  it('are refused to collaborators without billing rights and to external users', () => {
    expect(() => assertBillingRights(m('collaborator'))).toThrow(/billing rights/);
    expect(() => assertBillingRights(m('external', { billingRights: true }))).toThrow(/billing rights/);
    expect(() => assertBillingRights(undefined)).toThrow(/billing rights/);
  });

  it('limit a collaborator to the products they were given', () => {
    const c = m('collaborator', { billingRights: true, productIds: ['p1'] });
    expect(() => assertBillingRights(c, 'p1')).not.toThrow();
    expect(() => assertBillingRights(c, 'p2')).toThrow();
  });
});

describe('the rights of each role, as the rules list them', () => {
  // Who may do what, from the domain rules: owners and administrators everything; a collaborator the
  // products chosen for them (paying only with billing rights); an external user chosen products, never paying.
  const people = {
    owner: m('legal-owner'),
    admin: m('administrator'),
    payingCollaborator: m('collaborator', { billingRights: true, productIds: ['p1'] }),
    collaborator: m('collaborator', { productIds: ['p1'] }),
    external: m('external', { billingRights: true, productIds: ['p1'] }),
  };
  const expected: Record<
    keyof typeof people,
    { pays: boolean; whole: boolean; p1: boolean; p2: boolean; docP1: boolean; docP1P2: boolean; docNone: boolean; payP1: boolean; payP2: boolean }
  > = {
    owner: { pays: true, whole: true, p1: true, p2: true, docP1: true, docP1P2: true, docNone: true, payP1: true, payP2: true },
    admin: { pays: true, whole: true, p1: true, p2: true, docP1: true, docP1P2: true, docNone: true, payP1: true, payP2: true },
    payingCollaborator: { pays: true, whole: false, p1: true, p2: false, docP1: true, docP1P2: false, docNone: false, payP1: true, payP2: false },
    collaborator: { pays: false, whole: false, p1: true, p2: false, docP1: true, docP1P2: false, docNone: false, payP1: false, payP2: false },
    external: { pays: false, whole: false, p1: true, p2: false, docP1: true, docP1P2: false, docNone: false, payP1: false, payP2: false },
  };
  const allowed = (f: () => void) => {
    try {
      f();
      return true;
    } catch {
      return false;
    }
  };

  for (const [who, member] of Object.entries(people) as [keyof typeof people, Member][]) {
    it(`${who}`, () => {
      const e = expected[who];
      expect({
        pays: hasBillingRights(member),
        whole: seesWholeOrganisation(member),
        p1: canSeeProduct(member, 'p1'),
        p2: canSeeProduct(member, 'p2'),
        docP1: allowed(() => assertCanSeeDocument(member, ['p1'])),
        docP1P2: allowed(() => assertCanSeeDocument(member, ['p1', 'p2'])),
        docNone: allowed(() => assertCanSeeDocument(member, [])),
        payP1: allowed(() => assertBillingRights(member, 'p1')),
        payP2: allowed(() => assertBillingRights(member, 'p2')),
      }).toEqual(e);
    });
  }

  it('says why a document or a payment is refused', () => {
    expect(() => assertCanSeeDocument(people.collaborator, ['p2'])).toThrow('This document covers products you do not have access to');
    expect(() => assertBillingRights(people.collaborator, 'p1')).toThrow('This action needs billing rights in the organisation');
    expect(() => assertBillingRights(people.payingCollaborator, 'p2')).toThrow('This action needs billing rights in the organisation');
  });

  it('lets owners and administrators manage users, and only owners make owners', () => {
    const roles: Member['role'][] = ['legal-owner', 'administrator', 'collaborator', 'external'];
    const may = (actor: Member | undefined) => roles.filter((r) => allowed(() => assertCanAssignRole(actor, r)));
    expect(may(people.owner)).toEqual(roles);
    expect(may(people.admin)).toEqual(['administrator', 'collaborator', 'external']);
    expect(may(people.payingCollaborator)).toEqual([]);
    expect(may(people.external)).toEqual([]);
    expect(may(undefined)).toEqual([]);
    expect(() => assertCanAssignRole(undefined, 'external')).toThrow('Not a member of this organisation');
    expect(() => assertCanAssignRole(people.admin, 'legal-owner')).toThrow('Only a legal owner can make someone legal owner');
    expect(() => assertCanAssignRole(people.payingCollaborator, 'external')).toThrow('Only a legal owner or an administrator can manage users');
  });

  it('keeps a legal owner whatever happens to the others', () => {
    const one = [m('legal-owner', { userId: 'ann' }), m('administrator', { userId: 'bob' })];
    const two = [...one, m('legal-owner', { userId: 'cy' })];
    const keeps = (members: Member[], change: { userId: string; newRole?: Member['role'] }) => allowed(() => assertKeepsALegalOwner(members, change));
    expect(keeps(one, { userId: 'ann' })).toBe(false);
    expect(keeps(one, { userId: 'ann', newRole: 'administrator' })).toBe(false);
    expect(keeps(one, { userId: 'ann', newRole: 'legal-owner' })).toBe(true);
    expect(keeps(one, { userId: 'bob' })).toBe(true);
    expect(keeps(one, { userId: 'nobody' })).toBe(true);
    expect(keeps(two, { userId: 'ann' })).toBe(true);
    expect(keeps(two, { userId: 'cy', newRole: 'external' })).toBe(true);
    expect(() => assertKeepsALegalOwner(one, { userId: 'ann' })).toThrow('The last legal owner of an organisation cannot be removed');
  });
});

describe('roles', () => {
  it('only a legal owner can make someone legal owner', () => {
    expect(() => assertCanAssignRole(m('administrator'), 'legal-owner')).toThrow(/Only a legal owner/);
    expect(() => assertCanAssignRole(m('legal-owner'), 'legal-owner')).not.toThrow();
    expect(() => assertCanAssignRole(m('collaborator', { billingRights: true }), 'external')).toThrow();
  });

  it('the last legal owner can be neither removed nor demoted', () => {
    const members = [m('legal-owner'), m('administrator')];
    expect(() => assertKeepsALegalOwner(members, { userId: 'legal-owner' })).toThrow(/last legal owner/);
    expect(() => assertKeepsALegalOwner(members, { userId: 'legal-owner', newRole: 'administrator' })).toThrow();
    expect(() => assertKeepsALegalOwner([...members, m('legal-owner', { userId: 'o2' })], { userId: 'legal-owner' })).not.toThrow();
  });

  it('administrators are the owners and administrators', () => {
    expect(administrators([m('legal-owner'), m('administrator'), m('collaborator'), m('external')]).map((x) => x.role)).toEqual(['legal-owner', 'administrator']);
  });
});

describe('payment methods', () => {
  it('take PostFinance and Twint in CHF only', () => {
    expect(() => assertMethodAcceptsCurrency('postfinance', 'EUR')).toThrow(/PostFinance accepts only invoices in CHF/);
    expect(() => assertMethodAcceptsCurrency('twint', 'EUR')).toThrow(/Twint/);
    expect(() => assertMethodAcceptsCurrency('postfinance', 'CHF')).not.toThrow();
    expect(() => assertMethodAcceptsCurrency('card', 'EUR')).not.toThrow();
  });

  it('serve automatic renewals when they can be charged off-session', () => {
    const base = { id: 'x', orgId: 'o', label: 'x', gatewayRef: 'pm_x', createdAt: '' };
    expect(servesAutomaticRenewal({ ...base, kind: 'card' })).toBe(true);
    expect(servesAutomaticRenewal({ ...base, kind: 'twint' })).toBe(true);
    expect(servesAutomaticRenewal({ ...base, kind: 'postfinance' })).toBe(false);
  });
});

describe('saved methods and errors', () => {
  it("derive a method's id from the provider's, keeping only letters, digits and underscores", () => {
    expect(savedMethodId('pm_card_visa')).toBe('pm-pm_card_visa');
    expect(savedMethodId('pm_1Q-x.y/z')).toBe('pm-pm_1Qxyz');
  });

  it('serve automatic renewals only with methods the provider charges off-session', () => {
    const method = (kind: 'card' | 'twint' | 'paypal' | 'postfinance') => ({ id: 'm', orgId: 'o', kind, label: 'x', gatewayRef: 'pm_x', createdAt: '' });
    expect((['card', 'twint', 'paypal', 'postfinance'] as const).filter((k) => servesAutomaticRenewal(method(k)))).toEqual(['card', 'twint', 'paypal']);
    expect(() => assertMethodAcceptsCurrency('twint', 'EUR')).toThrow('Twint accepts only invoices in CHF, this organisation pays in EUR');
    try {
      assertMethodAcceptsCurrency('postfinance', 'EUR');
    } catch (err) {
      expect((err as { code?: string }).code).toBe('method_currency_not_supported');
    }
  });

  it('give each kind of refusal its status and default code', () => {
    expect(new ValidationError('x')).toMatchObject({ status: 400, code: 'invalid_input', name: 'ValidationError', message: 'x' });
    expect(new ForbiddenError()).toMatchObject({ status: 403, code: 'forbidden', message: 'You do not have the rights for this action' });
    expect(new NotFoundError('gone')).toMatchObject({ status: 404, code: 'not_found', name: 'NotFoundError' });
    expect(new ConflictError('busy')).toMatchObject({ status: 409, code: 'conflict', name: 'ConflictError' });
    expect(new BusinessRuleError('no', 'rule')).toMatchObject({ status: 422, code: 'rule' });
  });
});
