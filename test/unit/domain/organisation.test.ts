import { describe, expect, it } from 'vitest';
import {
  administrators,
  assertBillingRights,
  assertCanAssignRole,
  assertKeepsALegalOwner,
  hasBillingRights,
  type Member,
} from '../../../shared/domain/organisation.ts';
import { assertMethodAcceptsCurrency, servesAutomaticRenewal } from '../../../shared/domain/payment-methods.ts';

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
    expect(administrators([m('legal-owner'), m('administrator'), m('collaborator'), m('external')]).map((x) => x.role)).toEqual([
      'legal-owner',
      'administrator',
    ]);
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
