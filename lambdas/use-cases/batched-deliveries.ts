/**
 * The deliveries of one process invocation, enqueued together. Each record's route actions
 * used to be one SendMessageBatch call per event (serialization, signing, a round trip),
 * which made routing most of what rules cost the process function. The records of a batch
 * run concurrently; a record that has deliveries to enqueue waits until every record still
 * running has either reached the same point or finished, then all waiting deliveries go in
 * one `enqueue` (SendMessageBatch calls of up to 10 entries), in the batch's order, and each
 * record gets its own results back. A record still waits only for the records of its own
 * invocation, which the invocation waits for anyway.
 *
 * Nothing else changes: a record's deliveries are enqueued only after its own conditional
 * write (it calls `enqueue` then), and a failure still fails the records whose deliveries
 * it concerns, which come back and enqueue again under the same delivery ids.
 */
import type { DeliveryRequest } from "../domain/delivery.js";
import type { DeliveryEnqueueResult, DeliveryQueue } from "../ports/delivery-queue.js";

interface Waiting {
  seq: number;
  requests: readonly DeliveryRequest[];
  resolve(results: DeliveryEnqueueResult[]): void;
  reject(error: unknown): void;
}

export interface RecordDeliveries {
  /** This record's view of the queue: its calls join the invocation's next flush. */
  queue: DeliveryQueue;
  /** The record will not enqueue any more (done, or failed before). */
  end(): void;
}

export class BatchedDeliveries {
  private running = 0;
  private nextSeq = 0;
  private waiting: Waiting[] = [];

  constructor(private readonly queue: DeliveryQueue) {}

  /** A record starts; records begin in the batch's order, which the flush keeps. */
  begin(): RecordDeliveries {
    const seq = this.nextSeq++;
    this.running++;
    let ended = false;
    return {
      queue: {
        enqueue: (requests) =>
          requests.length === 0
            ? Promise.resolve([])
            : new Promise<DeliveryEnqueueResult[]>((resolve, reject) => {
                this.waiting.push({ seq, requests, resolve, reject });
                this.flushWhenReady();
              }),
      },
      end: () => {
        if (ended) return;
        ended = true;
        this.running--;
        this.flushWhenReady();
      },
    };
  }

  private flushWhenReady(): void {
    if (this.waiting.length === 0 || this.waiting.length < this.running) return;
    const batch = this.waiting.sort((a, b) => a.seq - b.seq);
    this.waiting = [];
    const all = batch.flatMap((w) => w.requests);
    this.queue.enqueue(all).then(
      (results) => {
        let at = 0;
        for (const w of batch) {
          w.resolve(results.slice(at, at + w.requests.length));
          at += w.requests.length;
        }
      },
      (error: unknown) => {
        for (const w of batch) w.reject(error);
      },
    );
  }
}
