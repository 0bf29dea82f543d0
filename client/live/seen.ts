// The positions delivered lately, so an event that comes twice (it is in two joined rooms,
// or both live and in the catch-up fetch after a reconnect) reaches listeners once.
// Bounded: far older positions are never redelivered.

export class SeenPositions {
  private readonly set = new Set<number>();
  private readonly order: number[] = [];
  private head = 0;

  constructor(private readonly capacity = 50_000) {}

  /** True when `position` is new (and remembers it). */
  add(position: number): boolean {
    if (this.set.has(position)) return false;
    this.set.add(position);
    this.order.push(position);
    if (this.order.length - this.head > this.capacity) {
      this.set.delete(this.order[this.head]!);
      this.head++;
      // Compact now and then instead of shifting on every add.
      if (this.head > this.capacity) {
        this.order.splice(0, this.head);
        this.head = 0;
      }
    }
    return true;
  }

  has(position: number): boolean {
    return this.set.has(position);
  }
}
