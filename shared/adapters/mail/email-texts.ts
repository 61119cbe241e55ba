/**
 * The words of every e-mail the engine sends, in the four languages of the
 * organisations (French by default, like the provider's FAQ). Each template
 * is a subject, paragraphs and at most one button; `render-email.ts` makes
 * the HTML and the text part from the same paragraphs, so both always say
 * the same thing. Values arrive formatted (amounts `CHF 1'234.50`, dates
 * `31.12.2026`); a value the e-mail lacks leaves out the sentence that
 * needs it, never prints "undefined".
 */
import type { Language } from '../../domain/organisation.ts';
import type { OutboxEmail } from '../../domain/records.ts';

export type TemplateId = OutboxEmail['template'];

/** The formatted values of one e-mail; `v.x` is '' when the e-mail has no x. */
export type Values = Readonly<Record<string, string>>;

/** Where a button leads, in the customer portal. */
export type Link = 'pay-product' | 'pay-invoice' | 'invoices' | 'products' | 'balance' | 'payment-methods' | 'confirm-termination';

export interface TemplateText {
  subject: (v: Values) => string;
  /** Paragraphs; an empty string is left out. */
  body: (v: Values) => string[];
  action?: { label: string; link: Link };
}

export interface LanguageTexts {
  greeting: string;
  signOff: string;
  /** The line under the signature: why this e-mail came. */
  why: string;
  reasons: Record<string, string>;
  templates: Record<TemplateId, TemplateText>;
}

const iff = (cond: unknown, text: string) => (cond ? text : '');

const ROLE_FR: Record<string, string> = { 'legal-owner': 'propriétaire légal', administrator: 'administrateur', collaborator: 'collaborateur', external: 'externe' };

const FR: LanguageTexts = {
  greeting: 'Bonjour,',
  signOff: 'Meilleures salutations',
  why: 'Vous recevez ce message en tant que contact de facturation de {org}.',
  reasons: {
    card_declined: 'la carte a été refusée',
    insufficient_funds: 'le solde de la carte est insuffisant',
    expired_card: 'la carte a expiré',
    authentication_required: 'votre banque demande une confirmation',
    canceled: 'le paiement a été annulé',
    insufficient_balance: 'le solde prépayé ne suffit pas et aucun moyen de paiement n’est enregistré pour le renouvellement automatique',
    method_currency_not_supported: 'le moyen de paiement enregistré n’accepte pas la monnaie de la facture',
    payment_failed: 'le paiement a échoué',
    security_hold_expired: "la vérification d'identité n'a pas été faite dans les 10 jours",
    product_terminated: "un produit de la commande a été résilié avant l'arrivée du paiement",
    checkout_expired: 'le paiement est arrivé après l’expiration de la commande',
    refunded_by_provider: 'le paiement a été remboursé par le prestataire de paiement',
    reversal: 'la banque a annulé le paiement',
    return: 'la banque a retourné le paiement',
  },
  templates: {
    'renewal-reminder': {
      subject: (v) => `${v.product} arrive à échéance le ${v.expiry}`,
      body: (v) => [
        `Votre produit ${v.product} arrive à échéance le ${v.expiry}${iff(v.daysLeft, ` (dans ${v.daysLeft} jours)`)}.`,
        "Son renouvellement automatique n'est pas activé : pour le conserver, renouvelez-le avant cette date.",
      ],
      action: { label: 'Renouveler maintenant', link: 'pay-product' },
    },
    'auto-renewal-notice': {
      subject: (v) => `${v.product} sera renouvelé automatiquement`,
      body: (v) => [
        `Votre produit ${v.product} arrive à échéance le ${v.expiry}${iff(v.daysLeft, ` (dans ${v.daysLeft} jours)`)}.`,
        'Il sera renouvelé automatiquement avec votre solde prépayé ou votre moyen de paiement enregistré. Vous pouvez désactiver le renouvellement automatique à tout moment.',
      ],
      action: { label: 'Voir mes produits', link: 'products' },
    },
    'payment-failed': {
      subject: (v) => `Le paiement du renouvellement de ${v.product} a échoué`,
      body: (v) => [
        `Nous n'avons pas pu encaisser le renouvellement de ${v.product} (échéance le ${v.expiry}) : ${v.reason}.`,
        v.nextAttempt ? `Nous réessaierons le ${v.nextAttempt}.` : "Aucune nouvelle tentative n'est prévue avant l'échéance.",
        'Pour éviter le blocage du service, payez-le maintenant ou mettez à jour votre moyen de paiement.',
      ],
      action: { label: 'Payer maintenant', link: 'pay-product' },
    },
    'authentication-required': {
      subject: (v) => `${v.product} : votre banque demande une confirmation`,
      body: (v) => [
        `Votre banque demande que vous confirmiez vous-même le paiement du renouvellement de ${v.product} (échéance le ${v.expiry}).`,
        'Le renouvellement automatique ne peut pas le faire à votre place : confirmez le paiement avant cette date.',
      ],
      action: { label: 'Confirmer le paiement', link: 'pay-product' },
    },
    'renewal-paid': {
      subject: (v) => `${v.product} est renouvelé jusqu'au ${v.newExpiry}`,
      body: (v) => [
        `Merci : le renouvellement de ${v.product} est payé${iff(v.amount, ` (${v.amount}`)}${iff(v.amount && v.invoice, `, facture ${v.invoice}`)}${iff(v.amount, ')')}.`,
        `Nouvelle échéance : ${v.newExpiry}.`,
      ],
      action: { label: 'Voir mes factures', link: 'invoices' },
    },
    'product-blocked': {
      subject: (v) => `${v.product} est bloqué`,
      body: (v) => [
        `Le renouvellement de ${v.product}, échu le ${v.expiry}, n'a pas été payé : le service est bloqué.`,
        'Dès son paiement, il est débloqué. Sans paiement, il sera résilié.',
      ],
      action: { label: 'Payer maintenant', link: 'pay-product' },
    },
    'product-terminated': {
      subject: (v) => `${v.product} est résilié`,
      body: (v) => [
        `Le produit ${v.product} (échéance le ${v.expiry}) est résilié.`,
        iff(v.backupsDeleted === 'true', 'Ses sauvegardes sont supprimées définitivement : aucune restauration ne sera possible.'),
        'Les frais ouverts restent dus.',
      ],
    },
    'checkout-paid': {
      subject: (v) => `Paiement reçu : ${v.total}`,
      body: (v) => [
        `Merci, nous avons bien reçu votre paiement de ${v.received || v.total}${iff(v.proforma, ` pour la facture pro forma ${v.proforma}`)}.`,
        iff(v.invoice, `La facture ${v.invoice} est disponible dans votre espace client.`),
      ],
      action: { label: 'Voir mes factures', link: 'invoices' },
    },
    'checkout-held': {
      subject: () => "Commande en attente d'une vérification d'identité",
      body: (v) => [
        `Votre paiement de ${v.total} est bien reçu, mais la commande est retenue pour des raisons de sécurité jusqu'à ce que vous ayez vérifié votre identité.`,
        'Sans réaction de votre part dans les 10 jours, la commande est annulée et le paiement intégralement remboursé.',
      ],
    },
    'order-refunded': {
      subject: (v) => `Commande remboursée : ${v.total}`,
      body: (v) => [
        `Votre commande a été annulée${iff(v.reason, ` (${v.reason})`)} et ${v.total} vous est remboursé sur le moyen de paiement utilisé.`,
        iff(v.creditNote, `La note de crédit ${v.creditNote} est disponible dans votre espace client.`),
      ],
      action: { label: 'Voir mes factures', link: 'invoices' },
    },
    'top-up-credited': {
      subject: (v) => `Solde prépayé crédité de ${v.received || v.total}`,
      body: (v) => [`Votre solde prépayé a été crédité de ${v.received || v.total}.`, 'Il sert en priorité aux prochains renouvellements.'],
      action: { label: 'Voir mon solde', link: 'balance' },
    },
    'invoice-reopened': {
      subject: (v) => `La facture ${v.invoice} est à nouveau ouverte`,
      body: (v) => [
        `Le paiement de la facture ${v.invoice} nous a été repris${iff(v.reason, ` : ${v.reason}`)}.`,
        `Montant à nouveau dû : ${v.amountDue}${iff(v.reference, `, à payer avec la référence ${v.reference}`)}.`,
      ],
      action: { label: 'Payer la facture', link: 'pay-invoice' },
    },
    'member-access': {
      subject: (v) => (v.change === 'removed' ? `Votre accès à ${v.orgName} a été retiré` : `Votre accès à ${v.orgName} : ${ROLE_FR[v.role ?? ''] ?? v.role}`),
      body: (v) =>
        v.change === 'removed'
          ? [`Vous n'avez plus accès à l'organisation ${v.orgName}.`, "Si vous pensez qu'il s'agit d'une erreur, adressez-vous à son propriétaire légal."]
          : [
              `Vous avez désormais accès à l'organisation ${v.orgName} en tant que ${ROLE_FR[v.role ?? ''] ?? v.role}.`,
              iff(v.billingRights === 'yes', 'Vous pouvez payer ses produits et consulter ses factures.'),
              iff(v.products, `Produits accessibles : ${v.products}.`),
            ],
      action: { label: 'Mes produits', link: 'products' },
    },
    'termination-confirm': {
      subject: (v) => `Confirmez la résiliation de ${v.product}`,
      body: (v) => [
        `${v.requestedBy} a demandé la résiliation de ${v.product} au ${v.terminationDate}.`,
        `Sans confirmation, rien n'est supprimé. Le lien ci-dessous est valable ${v.hours} heures et ne sert qu'une fois.`,
        'À la résiliation, les sauvegardes sont supprimées définitivement : aucune restauration ne sera possible.',
        'Les frais ouverts restent dus.',
      ],
      action: { label: 'Confirmer la résiliation', link: 'confirm-termination' },
    },
    'termination-confirmed': {
      subject: (v) => `Résiliation de ${v.product} confirmée`,
      body: (v) => [
        `${v.requestedBy} a confirmé la résiliation de ${v.product} : le produit sera résilié le ${v.terminationDate}.`,
        'Ses sauvegardes seront alors supprimées définitivement : aucune restauration ne sera possible.',
        'Les frais ouverts restent dus.',
        "Jusqu'à cette date, un administrateur peut annuler la résiliation depuis ses produits.",
      ],
      action: { label: 'Mes produits', link: 'products' },
    },
    'payment-method-removed': {
      subject: (v) => `Le moyen de paiement ${v.method} n'est plus enregistré`,
      body: (v) => [
        `Le moyen de paiement ${v.method} a été retiré de votre compte.`,
        iff(v.products, `Ces produits seront renouvelés avec votre solde prépayé, s'il suffit : ${v.products}.`),
        "Ajoutez un moyen de paiement pour qu'ils continuent à se renouveler automatiquement.",
      ],
      action: { label: 'Mes moyens de paiement', link: 'payment-methods' },
    },
  },
};

const ROLE_DE: Record<string, string> = { 'legal-owner': 'rechtlicher Inhaber', administrator: 'Administrator', collaborator: 'Mitarbeiter', external: 'Externer' };

const DE: LanguageTexts = {
  greeting: 'Guten Tag,',
  signOff: 'Freundliche Grüsse',
  why: 'Sie erhalten diese Nachricht als Rechnungskontakt von {org}.',
  reasons: {
    card_declined: 'die Karte wurde abgelehnt',
    insufficient_funds: 'die Karte ist nicht ausreichend gedeckt',
    expired_card: 'die Karte ist abgelaufen',
    authentication_required: 'Ihre Bank verlangt eine Bestätigung',
    canceled: 'die Zahlung wurde abgebrochen',
    insufficient_balance: 'das Prepaid-Guthaben reicht nicht und für die automatische Verlängerung ist kein Zahlungsmittel gespeichert',
    method_currency_not_supported: 'das gespeicherte Zahlungsmittel akzeptiert die Währung der Rechnung nicht',
    payment_failed: 'die Zahlung ist fehlgeschlagen',
    security_hold_expired: 'die Identitätsprüfung wurde nicht innert 10 Tagen abgeschlossen',
    product_terminated: 'ein Produkt der Bestellung wurde vor dem Zahlungseingang gekündigt',
    checkout_expired: 'die Zahlung traf nach Ablauf der Bestellung ein',
    refunded_by_provider: 'die Zahlung wurde vom Zahlungsanbieter zurückerstattet',
    reversal: 'die Bank hat die Zahlung storniert',
    return: 'die Bank hat die Zahlung zurückgewiesen',
  },
  templates: {
    'renewal-reminder': {
      subject: (v) => `${v.product} läuft am ${v.expiry} ab`,
      body: (v) => [
        `Ihr Produkt ${v.product} läuft am ${v.expiry} ab${iff(v.daysLeft, ` (in ${v.daysLeft} Tagen)`)}.`,
        'Die automatische Verlängerung ist nicht aktiviert: Verlängern Sie es vor diesem Datum, um es zu behalten.',
      ],
      action: { label: 'Jetzt verlängern', link: 'pay-product' },
    },
    'auto-renewal-notice': {
      subject: (v) => `${v.product} wird automatisch verlängert`,
      body: (v) => [
        `Ihr Produkt ${v.product} läuft am ${v.expiry} ab${iff(v.daysLeft, ` (in ${v.daysLeft} Tagen)`)}.`,
        'Es wird automatisch mit Ihrem Prepaid-Guthaben oder Ihrem gespeicherten Zahlungsmittel verlängert. Sie können die automatische Verlängerung jederzeit ausschalten.',
      ],
      action: { label: 'Meine Produkte', link: 'products' },
    },
    'payment-failed': {
      subject: (v) => `Die Zahlung für die Verlängerung von ${v.product} ist fehlgeschlagen`,
      body: (v) => [
        `Wir konnten die Verlängerung von ${v.product} (Ablauf am ${v.expiry}) nicht belasten: ${v.reason}.`,
        v.nextAttempt ? `Wir versuchen es am ${v.nextAttempt} erneut.` : 'Vor dem Ablauf ist kein weiterer Versuch vorgesehen.',
        'Damit der Dienst nicht gesperrt wird, bezahlen Sie jetzt oder aktualisieren Sie Ihr Zahlungsmittel.',
      ],
      action: { label: 'Jetzt bezahlen', link: 'pay-product' },
    },
    'authentication-required': {
      subject: (v) => `${v.product}: Ihre Bank verlangt eine Bestätigung`,
      body: (v) => [
        `Ihre Bank verlangt, dass Sie die Zahlung für die Verlängerung von ${v.product} (Ablauf am ${v.expiry}) selbst bestätigen.`,
        'Die automatische Verlängerung kann das nicht für Sie tun: Bestätigen Sie die Zahlung vor diesem Datum.',
      ],
      action: { label: 'Zahlung bestätigen', link: 'pay-product' },
    },
    'renewal-paid': {
      subject: (v) => `${v.product} ist bis am ${v.newExpiry} verlängert`,
      body: (v) => [
        `Vielen Dank: Die Verlängerung von ${v.product} ist bezahlt${iff(v.amount, ` (${v.amount}`)}${iff(v.amount && v.invoice, `, Rechnung ${v.invoice}`)}${iff(v.amount, ')')}.`,
        `Neues Ablaufdatum: ${v.newExpiry}.`,
      ],
      action: { label: 'Meine Rechnungen', link: 'invoices' },
    },
    'product-blocked': {
      subject: (v) => `${v.product} ist gesperrt`,
      body: (v) => [
        `Die Verlängerung von ${v.product}, abgelaufen am ${v.expiry}, wurde nicht bezahlt: Der Dienst ist gesperrt.`,
        'Sobald sie bezahlt ist, wird er entsperrt. Ohne Zahlung wird er gekündigt.',
      ],
      action: { label: 'Jetzt bezahlen', link: 'pay-product' },
    },
    'product-terminated': {
      subject: (v) => `${v.product} ist gekündigt`,
      body: (v) => [
        `Das Produkt ${v.product} (Ablauf am ${v.expiry}) ist gekündigt.`,
        iff(v.backupsDeleted === 'true', 'Seine Backups sind endgültig gelöscht: Eine Wiederherstellung ist nicht mehr möglich.'),
        'Offene Gebühren bleiben geschuldet.',
      ],
    },
    'checkout-paid': {
      subject: (v) => `Zahlung erhalten: ${v.total}`,
      body: (v) => [
        `Vielen Dank, wir haben Ihre Zahlung von ${v.received || v.total} erhalten${iff(v.proforma, ` (Proforma-Rechnung ${v.proforma})`)}.`,
        iff(v.invoice, `Die Rechnung ${v.invoice} steht in Ihrem Kundenbereich bereit.`),
      ],
      action: { label: 'Meine Rechnungen', link: 'invoices' },
    },
    'checkout-held': {
      subject: () => 'Bestellung wartet auf eine Identitätsprüfung',
      body: (v) => [
        `Ihre Zahlung von ${v.total} ist eingegangen, die Bestellung wird aber aus Sicherheitsgründen zurückgehalten, bis Sie Ihre Identität bestätigt haben.`,
        'Ohne Reaktion innert 10 Tagen wird die Bestellung storniert und die Zahlung vollständig zurückerstattet.',
      ],
    },
    'order-refunded': {
      subject: (v) => `Bestellung zurückerstattet: ${v.total}`,
      body: (v) => [
        `Ihre Bestellung wurde storniert${iff(v.reason, ` (${v.reason})`)} und ${v.total} auf das verwendete Zahlungsmittel zurückerstattet.`,
        iff(v.creditNote, `Die Gutschrift ${v.creditNote} steht in Ihrem Kundenbereich bereit.`),
      ],
      action: { label: 'Meine Rechnungen', link: 'invoices' },
    },
    'top-up-credited': {
      subject: (v) => `Prepaid-Guthaben um ${v.received || v.total} aufgeladen`,
      body: (v) => [`Ihrem Prepaid-Guthaben wurden ${v.received || v.total} gutgeschrieben.`, 'Es wird zuerst für die nächsten Verlängerungen verwendet.'],
      action: { label: 'Mein Guthaben', link: 'balance' },
    },
    'invoice-reopened': {
      subject: (v) => `Die Rechnung ${v.invoice} ist wieder offen`,
      body: (v) => [
        `Die Zahlung der Rechnung ${v.invoice} wurde rückgängig gemacht${iff(v.reason, `: ${v.reason}`)}.`,
        `Wieder geschuldet: ${v.amountDue}${iff(v.reference, `, zahlbar mit der Referenz ${v.reference}`)}.`,
      ],
      action: { label: 'Rechnung bezahlen', link: 'pay-invoice' },
    },
    'member-access': {
      subject: (v) => (v.change === 'removed' ? `Ihr Zugang zu ${v.orgName} wurde entfernt` : `Ihr Zugang zu ${v.orgName}: ${ROLE_DE[v.role ?? ''] ?? v.role}`),
      body: (v) =>
        v.change === 'removed'
          ? [`Sie haben keinen Zugang mehr zur Organisation ${v.orgName}.`, 'Wenn Sie das für einen Irrtum halten, wenden Sie sich an ihren rechtlichen Inhaber.']
          : [
              `Sie haben jetzt Zugang zur Organisation ${v.orgName} als ${ROLE_DE[v.role ?? ''] ?? v.role}.`,
              iff(v.billingRights === 'yes', 'Sie können ihre Produkte bezahlen und ihre Rechnungen einsehen.'),
              iff(v.products, `Zugängliche Produkte: ${v.products}.`),
            ],
      action: { label: 'Meine Produkte', link: 'products' },
    },
    'termination-confirm': {
      subject: (v) => `Bestätigen Sie die Kündigung von ${v.product}`,
      body: (v) => [
        `${v.requestedBy} hat die Kündigung von ${v.product} auf den ${v.terminationDate} beantragt.`,
        `Ohne Bestätigung wird nichts gelöscht. Der Link unten ist ${v.hours} Stunden gültig und nur einmal verwendbar.`,
        'Bei der Kündigung werden die Sicherungen endgültig gelöscht: eine Wiederherstellung ist dann nicht mehr möglich.',
        'Offene Gebühren bleiben geschuldet.',
      ],
      action: { label: 'Kündigung bestätigen', link: 'confirm-termination' },
    },
    'termination-confirmed': {
      subject: (v) => `Kündigung von ${v.product} bestätigt`,
      body: (v) => [
        `${v.requestedBy} hat die Kündigung von ${v.product} bestätigt: das Produkt wird am ${v.terminationDate} gekündigt.`,
        'Seine Sicherungen werden dann endgültig gelöscht: eine Wiederherstellung ist nicht mehr möglich.',
        'Offene Gebühren bleiben geschuldet.',
        'Bis zu diesem Datum kann ein Administrator die Kündigung bei seinen Produkten zurückziehen.',
      ],
      action: { label: 'Meine Produkte', link: 'products' },
    },
    'payment-method-removed': {
      subject: (v) => `Das Zahlungsmittel ${v.method} ist nicht mehr gespeichert`,
      body: (v) => [
        `Das Zahlungsmittel ${v.method} wurde aus Ihrem Konto entfernt.`,
        iff(v.products, `Diese Produkte werden mit Ihrem Prepaid-Guthaben verlängert, sofern es reicht: ${v.products}.`),
        'Fügen Sie ein Zahlungsmittel hinzu, damit sie weiterhin automatisch verlängert werden.',
      ],
      action: { label: 'Meine Zahlungsmittel', link: 'payment-methods' },
    },
  },
};

const ROLE_IT: Record<string, string> = { 'legal-owner': 'proprietario legale', administrator: 'amministratore', collaborator: 'collaboratore', external: 'esterno' };

const IT: LanguageTexts = {
  greeting: 'Buongiorno,',
  signOff: 'Cordiali saluti',
  why: 'Riceve questo messaggio come contatto di fatturazione di {org}.',
  reasons: {
    card_declined: 'la carta è stata rifiutata',
    insufficient_funds: 'la carta non ha fondi sufficienti',
    expired_card: 'la carta è scaduta',
    authentication_required: 'la sua banca chiede una conferma',
    canceled: 'il pagamento è stato annullato',
    insufficient_balance: 'il saldo prepagato non basta e nessun mezzo di pagamento è salvato per il rinnovo automatico',
    method_currency_not_supported: 'il mezzo di pagamento salvato non accetta la valuta della fattura',
    payment_failed: 'il pagamento non è riuscito',
    security_hold_expired: "la verifica dell'identità non è stata completata entro 10 giorni",
    product_terminated: "un prodotto dell'ordine è stato disdetto prima dell'arrivo del pagamento",
    checkout_expired: "il pagamento è arrivato dopo la scadenza dell'ordine",
    refunded_by_provider: 'il pagamento è stato rimborsato dal fornitore di pagamento',
    reversal: 'la banca ha stornato il pagamento',
    return: 'la banca ha restituito il pagamento',
  },
  templates: {
    'renewal-reminder': {
      subject: (v) => `${v.product} scade il ${v.expiry}`,
      body: (v) => [
        `Il suo prodotto ${v.product} scade il ${v.expiry}${iff(v.daysLeft, ` (tra ${v.daysLeft} giorni)`)}.`,
        'Il rinnovo automatico non è attivo: per mantenerlo, lo rinnovi prima di questa data.',
      ],
      action: { label: 'Rinnova ora', link: 'pay-product' },
    },
    'auto-renewal-notice': {
      subject: (v) => `${v.product} sarà rinnovato automaticamente`,
      body: (v) => [
        `Il suo prodotto ${v.product} scade il ${v.expiry}${iff(v.daysLeft, ` (tra ${v.daysLeft} giorni)`)}.`,
        'Sarà rinnovato automaticamente con il suo saldo prepagato o il mezzo di pagamento salvato. Può disattivare il rinnovo automatico in qualsiasi momento.',
      ],
      action: { label: 'I miei prodotti', link: 'products' },
    },
    'payment-failed': {
      subject: (v) => `Il pagamento del rinnovo di ${v.product} non è riuscito`,
      body: (v) => [
        `Non abbiamo potuto addebitare il rinnovo di ${v.product} (scadenza il ${v.expiry}): ${v.reason}.`,
        v.nextAttempt ? `Riproveremo il ${v.nextAttempt}.` : 'Non è previsto un altro tentativo prima della scadenza.',
        'Per evitare il blocco del servizio, paghi ora o aggiorni il suo mezzo di pagamento.',
      ],
      action: { label: 'Paga ora', link: 'pay-product' },
    },
    'authentication-required': {
      subject: (v) => `${v.product}: la sua banca chiede una conferma`,
      body: (v) => [
        `La sua banca chiede che confermi lei stesso il pagamento del rinnovo di ${v.product} (scadenza il ${v.expiry}).`,
        'Il rinnovo automatico non può farlo al suo posto: confermi il pagamento prima di questa data.',
      ],
      action: { label: 'Conferma il pagamento', link: 'pay-product' },
    },
    'renewal-paid': {
      subject: (v) => `${v.product} è rinnovato fino al ${v.newExpiry}`,
      body: (v) => [
        `Grazie: il rinnovo di ${v.product} è pagato${iff(v.amount, ` (${v.amount}`)}${iff(v.amount && v.invoice, `, fattura ${v.invoice}`)}${iff(v.amount, ')')}.`,
        `Nuova scadenza: ${v.newExpiry}.`,
      ],
      action: { label: 'Le mie fatture', link: 'invoices' },
    },
    'product-blocked': {
      subject: (v) => `${v.product} è bloccato`,
      body: (v) => [
        `Il rinnovo di ${v.product}, scaduto il ${v.expiry}, non è stato pagato: il servizio è bloccato.`,
        'Appena pagato, viene sbloccato. Senza pagamento, sarà disdetto.',
      ],
      action: { label: 'Paga ora', link: 'pay-product' },
    },
    'product-terminated': {
      subject: (v) => `${v.product} è disdetto`,
      body: (v) => [
        `Il prodotto ${v.product} (scadenza il ${v.expiry}) è disdetto.`,
        iff(v.backupsDeleted === 'true', 'I suoi backup sono eliminati definitivamente: nessun ripristino sarà possibile.'),
        'Le spese aperte restano dovute.',
      ],
    },
    'checkout-paid': {
      subject: (v) => `Pagamento ricevuto: ${v.total}`,
      body: (v) => [
        `Grazie, abbiamo ricevuto il suo pagamento di ${v.received || v.total}${iff(v.proforma, ` per la fattura proforma ${v.proforma}`)}.`,
        iff(v.invoice, `La fattura ${v.invoice} è disponibile nella sua area clienti.`),
      ],
      action: { label: 'Le mie fatture', link: 'invoices' },
    },
    'checkout-held': {
      subject: () => "Ordine in attesa di una verifica dell'identità",
      body: (v) => [
        `Il suo pagamento di ${v.total} è arrivato, ma l'ordine è trattenuto per motivi di sicurezza finché non avrà verificato la sua identità.`,
        "Senza sua reazione entro 10 giorni, l'ordine è annullato e il pagamento rimborsato per intero.",
      ],
    },
    'order-refunded': {
      subject: (v) => `Ordine rimborsato: ${v.total}`,
      body: (v) => [
        `Il suo ordine è stato annullato${iff(v.reason, ` (${v.reason})`)} e ${v.total} le è rimborsato sul mezzo di pagamento utilizzato.`,
        iff(v.creditNote, `La nota di credito ${v.creditNote} è disponibile nella sua area clienti.`),
      ],
      action: { label: 'Le mie fatture', link: 'invoices' },
    },
    'top-up-credited': {
      subject: (v) => `Saldo prepagato accreditato di ${v.received || v.total}`,
      body: (v) => [`Il suo saldo prepagato è stato accreditato di ${v.received || v.total}.`, 'Servirà per primo ai prossimi rinnovi.'],
      action: { label: 'Il mio saldo', link: 'balance' },
    },
    'invoice-reopened': {
      subject: (v) => `La fattura ${v.invoice} è di nuovo aperta`,
      body: (v) => [
        `Il pagamento della fattura ${v.invoice} è stato annullato${iff(v.reason, `: ${v.reason}`)}.`,
        `Di nuovo dovuto: ${v.amountDue}${iff(v.reference, `, da pagare con il riferimento ${v.reference}`)}.`,
      ],
      action: { label: 'Paga la fattura', link: 'pay-invoice' },
    },
    'member-access': {
      subject: (v) => (v.change === 'removed' ? `Il suo accesso a ${v.orgName} è stato revocato` : `Il suo accesso a ${v.orgName}: ${ROLE_IT[v.role ?? ''] ?? v.role}`),
      body: (v) =>
        v.change === 'removed'
          ? [`Non ha più accesso all'organizzazione ${v.orgName}.`, 'Se pensa che si tratti di un errore, si rivolga al suo proprietario legale.']
          : [
              `Ora ha accesso all'organizzazione ${v.orgName} come ${ROLE_IT[v.role ?? ''] ?? v.role}.`,
              iff(v.billingRights === 'yes', 'Può pagare i suoi prodotti e consultare le sue fatture.'),
              iff(v.products, `Prodotti accessibili: ${v.products}.`),
            ],
      action: { label: 'I miei prodotti', link: 'products' },
    },
    'termination-confirm': {
      subject: (v) => `Confermi la disdetta di ${v.product}`,
      body: (v) => [
        `${v.requestedBy} ha chiesto la disdetta di ${v.product} per il ${v.terminationDate}.`,
        `Senza conferma non viene eliminato nulla. Il link qui sotto è valido ${v.hours} ore e si usa una sola volta.`,
        'Alla disdetta i backup vengono eliminati definitivamente: nessun ripristino sarà possibile.',
        'Le spese aperte restano dovute.',
      ],
      action: { label: 'Confermare la disdetta', link: 'confirm-termination' },
    },
    'termination-confirmed': {
      subject: (v) => `Disdetta di ${v.product} confermata`,
      body: (v) => [
        `${v.requestedBy} ha confermato la disdetta di ${v.product}: il prodotto sarà disdetto il ${v.terminationDate}.`,
        'I suoi backup saranno allora eliminati definitivamente: nessun ripristino sarà possibile.',
        'Le spese aperte restano dovute.',
        'Fino a quella data un amministratore può ritirare la disdetta dai suoi prodotti.',
      ],
      action: { label: 'I miei prodotti', link: 'products' },
    },
    'payment-method-removed': {
      subject: (v) => `Il mezzo di pagamento ${v.method} non è più salvato`,
      body: (v) => [
        `Il mezzo di pagamento ${v.method} è stato rimosso dal suo conto.`,
        iff(v.products, `Questi prodotti saranno rinnovati con il suo saldo prepagato, se basta: ${v.products}.`),
        'Aggiunga un mezzo di pagamento perché continuino a rinnovarsi automaticamente.',
      ],
      action: { label: 'I miei mezzi di pagamento', link: 'payment-methods' },
    },
  },
};

const ROLE_EN: Record<string, string> = { 'legal-owner': 'legal owner', administrator: 'administrator', collaborator: 'collaborator', external: 'external' };

const EN: LanguageTexts = {
  greeting: 'Hello,',
  signOff: 'Kind regards',
  why: 'You receive this message as a billing contact of {org}.',
  reasons: {
    card_declined: 'the card was declined',
    insufficient_funds: 'the card has insufficient funds',
    expired_card: 'the card has expired',
    authentication_required: 'your bank asks for a confirmation',
    canceled: 'the payment was canceled',
    insufficient_balance: 'the prepaid balance does not cover it and no payment method is saved for automatic renewal',
    method_currency_not_supported: 'the saved payment method does not take the currency of the invoice',
    payment_failed: 'the payment failed',
    security_hold_expired: 'the identity check was not completed within 10 days',
    product_terminated: 'a product of the order was terminated before the payment arrived',
    checkout_expired: 'the payment arrived after the order had expired',
    refunded_by_provider: 'the payment was refunded at the payment provider',
    reversal: 'the bank reversed the payment',
    return: 'the bank returned the payment',
  },
  templates: {
    'renewal-reminder': {
      subject: (v) => `${v.product} expires on ${v.expiry}`,
      body: (v) => [
        `Your product ${v.product} expires on ${v.expiry}${iff(v.daysLeft, ` (in ${v.daysLeft} days)`)}.`,
        'Automatic renewal is not switched on: to keep it, renew it before that date.',
      ],
      action: { label: 'Renew now', link: 'pay-product' },
    },
    'auto-renewal-notice': {
      subject: (v) => `${v.product} will renew automatically`,
      body: (v) => [
        `Your product ${v.product} expires on ${v.expiry}${iff(v.daysLeft, ` (in ${v.daysLeft} days)`)}.`,
        'It will be renewed automatically with your prepaid balance or your saved payment method. You can switch automatic renewal off at any time.',
      ],
      action: { label: 'My products', link: 'products' },
    },
    'payment-failed': {
      subject: (v) => `The payment for renewing ${v.product} failed`,
      body: (v) => [
        `We could not charge the renewal of ${v.product} (expiring on ${v.expiry}): ${v.reason}.`,
        v.nextAttempt ? `We will try again on ${v.nextAttempt}.` : 'No further attempt is planned before it expires.',
        'To keep the service from being blocked, pay now or update your payment method.',
      ],
      action: { label: 'Pay now', link: 'pay-product' },
    },
    'authentication-required': {
      subject: (v) => `${v.product}: your bank asks for a confirmation`,
      body: (v) => [
        `Your bank asks you to confirm the payment for renewing ${v.product} (expiring on ${v.expiry}) yourself.`,
        'Automatic renewal cannot do it for you: please confirm the payment before that date.',
      ],
      action: { label: 'Confirm the payment', link: 'pay-product' },
    },
    'renewal-paid': {
      subject: (v) => `${v.product} is renewed until ${v.newExpiry}`,
      body: (v) => [
        `Thank you: the renewal of ${v.product} is paid${iff(v.amount, ` (${v.amount}`)}${iff(v.amount && v.invoice, `, invoice ${v.invoice}`)}${iff(v.amount, ')')}.`,
        `New expiry date: ${v.newExpiry}.`,
      ],
      action: { label: 'My invoices', link: 'invoices' },
    },
    'product-blocked': {
      subject: (v) => `${v.product} is blocked`,
      body: (v) => [
        `The renewal of ${v.product}, which expired on ${v.expiry}, was not paid: the service is blocked.`,
        'It is unblocked as soon as it is paid. Without payment, it will be terminated.',
      ],
      action: { label: 'Pay now', link: 'pay-product' },
    },
    'product-terminated': {
      subject: (v) => `${v.product} is terminated`,
      body: (v) => [
        `The product ${v.product} (expiring on ${v.expiry}) is terminated.`,
        iff(v.backupsDeleted === 'true', 'Its backups are deleted for good: they cannot be restored.'),
        'Open fees remain due.',
      ],
    },
    'checkout-paid': {
      subject: (v) => `Payment received: ${v.total}`,
      body: (v) => [
        `Thank you, we have received your payment of ${v.received || v.total}${iff(v.proforma, ` for pro-forma invoice ${v.proforma}`)}.`,
        iff(v.invoice, `Invoice ${v.invoice} is available in your customer area.`),
      ],
      action: { label: 'My invoices', link: 'invoices' },
    },
    'checkout-held': {
      subject: () => 'Order waiting for an identity check',
      body: (v) => [
        `Your payment of ${v.total} has arrived, but the order is held for security reasons until you have confirmed your identity.`,
        'Without a reaction within 10 days, the order is canceled and the payment refunded in full.',
      ],
    },
    'order-refunded': {
      subject: (v) => `Order refunded: ${v.total}`,
      body: (v) => [
        `Your order was canceled${iff(v.reason, ` (${v.reason})`)} and ${v.total} is refunded to the payment method used.`,
        iff(v.creditNote, `Credit note ${v.creditNote} is available in your customer area.`),
      ],
      action: { label: 'My invoices', link: 'invoices' },
    },
    'top-up-credited': {
      subject: (v) => `Prepaid balance topped up by ${v.received || v.total}`,
      body: (v) => [`Your prepaid balance was credited with ${v.received || v.total}.`, 'It is used first for your next renewals.'],
      action: { label: 'My balance', link: 'balance' },
    },
    'invoice-reopened': {
      subject: (v) => `Invoice ${v.invoice} is open again`,
      body: (v) => [
        `The payment of invoice ${v.invoice} was taken back${iff(v.reason, `: ${v.reason}`)}.`,
        `Due again: ${v.amountDue}${iff(v.reference, `, to be paid with reference ${v.reference}`)}.`,
      ],
      action: { label: 'Pay the invoice', link: 'pay-invoice' },
    },
    'member-access': {
      subject: (v) => (v.change === 'removed' ? `Your access to ${v.orgName} was removed` : `Your access to ${v.orgName}: ${ROLE_EN[v.role ?? ''] ?? v.role}`),
      body: (v) =>
        v.change === 'removed'
          ? [`You no longer have access to the organisation ${v.orgName}.`, 'If you think this is a mistake, please contact its legal owner.']
          : [
              `You now have access to the organisation ${v.orgName} as ${ROLE_EN[v.role ?? ''] ?? v.role}.`,
              iff(v.billingRights === 'yes', 'You may pay its products and read its invoices.'),
              iff(v.products, `Products you can reach: ${v.products}.`),
            ],
      action: { label: 'My products', link: 'products' },
    },
    'termination-confirm': {
      subject: (v) => `Confirm the termination of ${v.product}`,
      body: (v) => [
        `${v.requestedBy} asked to terminate ${v.product} on ${v.terminationDate}.`,
        `Without confirmation nothing is deleted. The link below is valid for ${v.hours} hours and works once.`,
        'On termination its backups are deleted for good: no restore will be possible.',
        'Open fees remain due.',
      ],
      action: { label: 'Confirm the termination', link: 'confirm-termination' },
    },
    'termination-confirmed': {
      subject: (v) => `Termination of ${v.product} confirmed`,
      body: (v) => [
        `${v.requestedBy} confirmed the termination of ${v.product}: it will be terminated on ${v.terminationDate}.`,
        'Its backups will then be deleted for good: no restore will be possible.',
        'Open fees remain due.',
        'Until that day an administrator can withdraw the termination from their products.',
      ],
      action: { label: 'My products', link: 'products' },
    },
    'payment-method-removed': {
      subject: (v) => `The payment method ${v.method} is no longer saved`,
      body: (v) => [
        `The payment method ${v.method} was removed from your account.`,
        iff(v.products, `These products will be renewed from your prepaid balance, if it covers them: ${v.products}.`),
        'Add a payment method so that they keep renewing automatically.',
      ],
      action: { label: 'My payment methods', link: 'payment-methods' },
    },
  },
};

export const EMAIL_TEXTS: Record<Language, LanguageTexts> = { fr: FR, de: DE, it: IT, en: EN };
