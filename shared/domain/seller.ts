/** The provider's legal entity that issues invoices; each has its own number series. */
export interface Seller {
  id: string;
  name: string;
  address: string;
  country: string;
  vatNumber: string;
}

export const DEFAULT_SELLER: Seller = {
  id: 'ch',
  name: 'Example Hosting SA',
  address: 'Rue du Lac 1, 1227 Carouge GE, Switzerland',
  country: 'CH',
  vatNumber: 'CHE-123.456.788 TVA',
};
