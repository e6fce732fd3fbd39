/** The initialisations the page offers (the lecture's five), shared by the page's menus and its worker. */
import { kaimingNormal, pytorchDefault, smallRandom, xavier, type Initializer } from '../../nn/init.js';

/** The initialisations the lecture compares. */
export const INIT_CHOICES = {
  small01: { label: '0.01·randn', make: () => smallRandom(0.01) },
  small05: { label: '0.05·randn', make: () => smallRandom(0.05) },
  xavier: { label: 'Xavier (std 1/√fanIn)', make: () => xavier() },
  kaiming: { label: 'Kaiming (std √(2/fanIn))', make: () => kaimingNormal({ nonlinearity: 'relu' }) },
  pytorch: { label: 'PyTorch default U(±1/√fanIn)', make: () => pytorchDefault() },
} as const satisfies Record<string, { label: string; make: () => Initializer }>;
export type InitChoice = keyof typeof INIT_CHOICES;
