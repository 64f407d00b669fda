/**
 * The types of the conformance suite: the driver under test and how the
 * suite registers its tests.
 *
 * @module
 */

import type { Driver } from "../contract.ts";

/** One fresh store; each `open()` is a new driver object over it (a restart). */
export interface StoreUnderTest {
  /** A new driver over this store, as a restarted program would make it. */
  open(): Driver | Promise<Driver>;
  /** Removes the store, after its test. */
  cleanup?(): Promise<void>;
}

/** What the driver can do beyond the contract's required members. */
export interface Capabilities {
  /** Blob and File round-trip (IndexedDB). */
  blobs?: boolean;
  /**
   * Two engines may open the store at once (per-task ownership); otherwise
   * the second gets StoreLockedError.
   */
  concurrentEngines?: boolean;
}

/** The driver being tested. */
export interface DriverSubject {
  /** Prefixes every test name. */
  name: string;
  /** Makes one fresh, empty store for one test. */
  setup(): Promise<StoreUnderTest>;
  /** What the driver can do beyond the contract's required members. */
  capabilities?: Capabilities;
}

/** How the suite registers a test. */
export interface TestApi {
  /** Registers a test by name; `fn` rejects when it fails. */
  test(name: string, fn: () => Promise<void>): void;
}

/** Registers one test of the suite: it gets a fresh store, removed afterwards. */
export type SuiteTest = (name: string, fn: (store: StoreUnderTest) => Promise<void>) => void;
