/** A postal address as the QR-bill wants it: structured, never one free line. */
export interface PostalAddress {
  street: string;
  buildingNumber?: string;
  zip: string;
  city: string;
  /** ISO 3166 alpha-2. */
  country: string;
}

/** The provider's legal entity that issues invoices; each has its own number series. */
export interface Seller {
  id: string;
  name: string;
  /** One line, as printed in the letterhead. */
  address: string;
  postal: PostalAddress;
  country: string;
  vatNumber: string;
  /** Account for bank transfers with a creditor reference (SCOR). */
  iban: string;
  /** QR-IBAN (IID 30000-31999): when set, documents carry a QR reference instead. */
  qrIban?: string;
  /** Customer-number prefix some banks require at the start of QR references. */
  qrReferencePrefix?: string;
  /** PNG or JPEG printed in the letterhead. */
  logoPath?: string;
  email?: string;
  website?: string;
}

export const DEFAULT_SELLER: Seller = {
  id: 'ch',
  name: 'Example Hosting SA',
  address: 'Rue du Lac 1, 1227 Carouge GE, Switzerland',
  postal: { street: 'Rue du Lac', buildingNumber: '1', zip: '1227', city: 'Carouge GE', country: 'CH' },
  country: 'CH',
  vatNumber: 'CHE-123.456.788 TVA',
  // The QR-IBAN and IBAN of the Swiss Payment Standards' examples: valid, and nobody's money.
  iban: 'CH9300762011623852957',
  qrIban: 'CH4431999123000889012',
  email: 'billing@example-hosting.ch',
  website: 'www.example-hosting.ch',
};
