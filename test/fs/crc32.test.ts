import fc from "fast-check";
import { expect, it } from "vitest";
import { crc32, crc32Table } from "../../drivers/fs/_crc32.ts";

it("the checksum of frames is the standard CRC-32, natively and by the table alike", () => {
  const check = new TextEncoder().encode("123456789");
  expect(crc32(check)).toBe(0xcbf43926);
  expect(crc32Table(check)).toBe(0xcbf43926);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 5000 }), fc.nat(), fc.nat(), (bytes, a, b) => {
      const start = bytes.length === 0 ? 0 : a % bytes.length;
      const end = start + (bytes.length === 0 ? 0 : b % (bytes.length - start + 1));
      expect(crc32(bytes, start, end)).toBe(crc32Table(bytes, start, end));
      expect(crc32(bytes)).toBe(crc32Table(bytes));
    }),
  );
});
