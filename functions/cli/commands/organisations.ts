import { Option } from 'commander';
import { ValidationError } from '../../../shared/domain/errors.ts';
import { addPaymentMethod, createOrganisation, setIdentityCheck } from '../../../shared/use-cases/manage-organisation.ts';
import { intArg } from '../context.ts';
import { erasePerson } from '../../../shared/use-cases/erase-person.ts';
import { table } from '../output.ts';
import type { Command } from 'commander';
import type { Ctx } from '../context.ts';

export function registerOrganisationCommands(program: Command, c: Ctx): void {
  const org = program.command('org').description('organisations');
  org
    .command('create')
    .requiredOption('--name <name>')
    .requiredOption('--currency <CHF|EUR>')
    .requiredOption('--country <CC>', 'ISO country code, e.g. CH')
    .option('--id <id>')
    .option('--vat-number <number>')
    .option('--address <text>')
    .option('--owner-email <email>', 'legal owner', 'owner@example.ch')
    .option('--reminder-days <list>', 'comma-separated days before expiry, e.g. 30,7')
    .option('--seller <id>', "the seller of the configuration that bills it (default: the configuration's default seller)")
    .option('--language <fr|de|it|en>', 'of its invoices and e-mails (default: fr)')
    .action(async (o: Record<string, string | undefined>) => {
      const reminderDays = o.reminderDays?.split(',').map((d) => intArg('--reminder-days', 1, 120)(d.trim()));
      const created = await c().withRuntime((rt) =>
        createOrganisation(rt.deps, {
          id: o.id,
          name: o.name,
          currency: o.currency,
          country: o.country,
          vatNumber: o.vatNumber,
          address: o.address,
          owner: { userId: o.ownerEmail, email: o.ownerEmail, name: o.ownerEmail },
          ...(reminderDays ? { reminderDaysBefore: reminderDays } : {}),
          ...(o.seller ? { sellerId: o.seller } : {}),
          ...(o.language ? { language: o.language } : {}),
        }),
      );
      c().print(`created organisation ${created.id} (${created.currency})`, created);
    });
  org.command('list').action(async () => {
    const orgs = await c().withRuntime((rt) => rt.store.listOrganisations());
    c().print(table(orgs as unknown as Record<string, unknown>[], ['id', 'name', 'currency', 'country', 'balance']), orgs);
  });

  org
    .command('identity-check')
    .description('require an identity check (paid orders are held) or record that it passed')
    .argument('<state>', 'required or passed')
    .requiredOption('--org <id>')
    .action(async (state: string, o: { org: string }) => {
      if (state !== 'required' && state !== 'passed') throw new ValidationError(`identity-check takes required or passed, got "${state}"`);
      await c().withRuntime((rt) => setIdentityCheck(rt.deps, o.org, state));
      c().print(`identity check of ${o.org}: ${state}`, { orgId: o.org, identityCheck: state });
    });

  program
    .command('person')
    .argument('<action>', 'erase')
    .argument('<userId>', 'the user id of the person')
    .description("a person's data (GDPR): erase them at their request, their memberships and the organisation they alone own; invoices and accounting records stay")
    .action(async (action: string, userId: string) => {
      if (action !== 'erase') throw new ValidationError(`unknown action "${action}": use erase`);
      const report = await c().withRuntime((rt) => erasePerson(rt.deps, userId));
      const lines = report.organisations.map((o) => `${o.orgId}: ${o.outcome} (${o.membersRemoved} member(s), ${o.paymentMethodsRemoved} payment method(s))`);
      c().print([`erased ${userId}`, ...lines, 'kept:', ...report.kept.map((k) => `  ${k}`)].join('\n'), report);
    });

  program
    .command('payment-method')
    .description('save a payment method reference (sandbox: pm_card_visa, pm_card_chargeDeclined, pm_card_authenticationRequired, pm_twint, pm_paypal)')
    .argument('<action>', 'add')
    .requiredOption('--org <id>')
    .requiredOption('--ref <ref>', "the provider's method id, e.g. pm_card_visa")
    .addOption(new Option('--kind <kind>').choices(['card', 'postfinance', 'twint', 'paypal']).default('card'))
    .option('--label <text>')
    .action(async (action: string, o: Record<string, string>) => {
      if (action !== 'add') throw new ValidationError(`unknown action "${action}": use add`);
      const pm = await c().withRuntime((rt) => addPaymentMethod(rt.deps, o.org!, { kind: o.kind, gatewayRef: o.ref, label: o.label ?? o.ref }));
      c().print(`saved ${pm.id} (${pm.label})`, pm);
    });
}
