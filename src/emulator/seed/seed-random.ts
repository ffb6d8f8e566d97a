import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** A seeded random source for demo data: the same seed always yields the same organisation. */
export class SeedRandom {
  private readonly rng;

  constructor(seed: number) {
    this.rng = xoroshiro128plus(seed);
  }

  int(from: number, to: number): number {
    return uniformInt(this.rng, from, to);
  }

  chance(probability: number): boolean {
    return this.int(0, 9999) < probability * 10000;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }

  /** A random (version-4 shaped) GUID. */
  guid(): string {
    const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');
    const a = this.int(0, 0xffffffff);
    const b = this.int(0, 0xffff);
    const c = 0x4000 | this.int(0, 0x0fff);
    const d = 0x8000 | this.int(0, 0x3fff);
    const e1 = this.int(0, 0xffffff);
    const e2 = this.int(0, 0xffffff);
    return `${hex(a, 8)}-${hex(b, 4)}-${hex(c, 4)}-${hex(d, 4)}-${hex(e1, 6)}${hex(e2, 6)}`;
  }
}
