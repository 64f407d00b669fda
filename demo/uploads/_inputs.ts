/**
 * Where files come from: the file and folder pickers, drag and drop of files
 * and folders (walked through `webkitGetAsEntry`), and a button that makes a
 * few hundred test files of random sizes, for trying the demo empty-handed.
 */
import type { FileGroup } from "./view.ts";

/** Calls `add` with the files picked, dropped or made up. */
export function wireInputs(root: HTMLElement, add: (groups: FileGroup[]) => void): void {
  for (const id of ["#files", "#folder"]) {
    const input = root.querySelector<HTMLInputElement>(id)!;
    input.addEventListener("change", () => {
      add([{ files: [...(input.files ?? [])] }]);
      input.value = "";
    });
  }
  root.querySelector("#synthetic")!.addEventListener("click", () => {
    add([{ files: syntheticFiles(300) }]);
  });
  const zone = root.querySelector<HTMLElement>("#drop")!;
  document.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  document.addEventListener("dragleave", () => zone.classList.remove("over"));
  document.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    const items = [...(event.dataTransfer?.items ?? [])];
    // Entries must be taken during the event; reading them may come after.
    const entries = items.map((item) => item.webkitGetAsEntry?.() ?? item.getAsFile());
    void dropped(entries).then(add);
  });
}

/** The files of what was dropped, grouped by the folder they came from. */
async function dropped(entries: (FileSystemEntry | File | null)[]): Promise<FileGroup[]> {
  const groups = new Map<string, File[]>();
  const put = (folder: string, file: File) =>
    groups.set(folder, [...(groups.get(folder) ?? []), file]);
  const walk = async (entry: FileSystemEntry, folder: string): Promise<void> => {
    if (entry.isFile) {
      put(
        folder,
        await new Promise<File>((ok, fail) => (entry as FileSystemFileEntry).file(ok, fail)),
      );
      return;
    }
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    const path = folder ? `${folder}/${entry.name}` : entry.name;
    for (;;) {
      // readEntries gives at most about 100 entries a call: call it until it gives none.
      const batch = await new Promise<FileSystemEntry[]>((ok, fail) =>
        reader.readEntries(ok, fail)
      );
      if (batch.length === 0) break;
      for (const child of batch) await walk(child, path);
    }
  };
  for (const entry of entries) {
    if (entry instanceof File) put("", entry);
    else if (entry) await walk(entry, "");
  }
  return [...groups].map(([folder, files]) => ({ files, folder: folder || undefined }));
}

/**
 * `count` test files: most between 1 KiB and 2 MiB, about one in twenty of
 * 10 to 40 MiB. Each starts with its own name, so no two are alike, and is
 * made of slices of one random MiB, so making them costs no memory.
 */
export function syntheticFiles(count: number): File[] {
  const block = new Uint8Array(1 << 20);
  for (let at = 0; at < block.length; at += 65_536) {
    crypto.getRandomValues(block.subarray(at, at + 65_536));
  }
  const random = new Blob([block]);
  const stamp = Date.now();
  return Array.from({ length: count }, (_, i) => {
    const size = Math.random() < 0.05
      ? Math.round((10 + 30 * Math.random()) * 2 ** 20)
      : Math.round(1024 * 2 ** (11 * Math.random()));
    const name = `test-${stamp}-${String(i).padStart(3, "0")}.bin`;
    const parts: BlobPart[] = [`${name}\n`];
    for (let left = size - parts[0]!.toString().length; left > 0; left -= block.length) {
      parts.push(random.slice(0, Math.min(left, block.length)));
    }
    return new File(parts, name, { type: "application/octet-stream", lastModified: stamp });
  });
}
