/**
 * The page's banners and meters: offline, the storage meter
 * (`navigator.storage.estimate()`), and the "keep files" control
 * (`requestPersistence()`, so the browser keeps the stored files under
 * storage pressure).
 */
import { requestPersistence } from "stater/tus";
import { bytes } from "./_rows.ts";

/** Shows `text` in the banner `id`, or hides it for `undefined`. */
export function banner(root: HTMLElement, id: string, text: string | undefined): void {
  const element = root.querySelector<HTMLElement>(`#${id}`)!;
  element.hidden = text === undefined;
  element.textContent = text ?? "";
}

/** Keeps the offline banner, the storage meter and the "keep files" control up to date. */
export function watchStatus(root: HTMLElement, log: (line: string) => void): void {
  const online = () =>
    banner(
      root,
      "offline",
      navigator.onLine
        ? undefined
        : "Offline: the uploads wait, without failing, and carry on once the network is back.",
    );
  addEventListener("online", () => (online(), log("back online")));
  addEventListener("offline", () => (online(), log("offline")));
  online();

  const meter = root.querySelector<HTMLMeterElement>("#storage meter")!;
  const label = root.querySelector<HTMLElement>("#storage span")!;
  const measure = async () => {
    const { usage = 0, quota = 0 } = (await navigator.storage?.estimate?.()) ?? {};
    meter.max = quota || 1;
    meter.value = usage;
    label.textContent = `${bytes(usage)} stored of ${bytes(quota)} allowed`;
  };
  void measure();
  setInterval(() => void measure(), 2000);

  const keep = root.querySelector<HTMLButtonElement>("#keep")!;
  const kept = (yes: boolean) => {
    keep.textContent = yes ? "Files kept under storage pressure ✓" : "Keep files";
    keep.disabled = yes;
  };
  void navigator.storage?.persisted?.().then(kept);
  keep.addEventListener("click", async () => {
    const granted = await requestPersistence().catch(() => false);
    kept(granted);
    log(granted ? "the browser keeps the files" : "the browser did not promise to keep the files");
  });
}
