//! PNG: the signature, then chunks checked by their CRC from `IHDR` to `IEND`.

use super::{Cursor, Stop, nonzero};

/// PNG: the signature, then chunks (length, type, data, CRC) from `IHDR` through `IDAT` to
/// `IEND`, each CRC checked as libpng does.
pub(super) fn read(c: &mut Cursor<'_>, dimensions: &mut Option<(u32, u32)>) -> Result<(), Stop> {
    c.take(SIGNATURE.len())?;
    let mut seen_data = false;
    loop {
        let len = c.be32()?;
        if len > 0x7FFF_FFFF {
            return Err(Stop::Invalid);
        }
        let kind: [u8; 4] = c.array()?;
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(Stop::Invalid);
        }
        let first = dimensions.is_none();
        if first != (&kind == b"IHDR") {
            return Err(Stop::Invalid);
        }
        let data = c.take(len as usize)?;
        if c.be32()? != crc32(crc32(!0, &kind), data) ^ !0 {
            return Err(Stop::Invalid);
        }
        match &kind {
            b"IHDR" => *dimensions = ihdr(data)?,
            b"IDAT" => seen_data = true,
            b"IEND" if seen_data => return Ok(()),
            b"IEND" => return Err(Stop::Invalid),
            _ => {}
        }
    }
}

/// A PNG's `IHDR`: dimensions up to 2³¹−1, and a bit depth the colour type allows.
fn ihdr(data: &[u8]) -> Result<Option<(u32, u32)>, Stop> {
    let d: &[u8; 13] = data.try_into().map_err(|_| Stop::Invalid)?;
    let width = u32::from_be_bytes([d[0], d[1], d[2], d[3]]);
    let height = u32::from_be_bytes([d[4], d[5], d[6], d[7]]);
    let [depth, colour, compression, filter, interlace] = [d[8], d[9], d[10], d[11], d[12]];
    let depth_ok = match colour {
        0 => matches!(depth, 1 | 2 | 4 | 8 | 16),
        3 => matches!(depth, 1 | 2 | 4 | 8),
        2 | 4 | 6 => matches!(depth, 8 | 16),
        _ => false,
    };
    if !depth_ok
        || compression != 0
        || filter != 0
        || interlace > 1
        || width > 0x7FFF_FFFF
        || height > 0x7FFF_FFFF
    {
        return Err(Stop::Invalid);
    }
    nonzero(width, height)
}

/// The eight bytes every PNG starts with.
pub(super) const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// CRC-32 (ISO-HDLC, PNG's) table, built at compile time.
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};

/// Continues a CRC-32 over `bytes` (start with `!0`, finish with `^ !0`).
pub(super) fn crc32(mut crc: u32, bytes: &[u8]) -> u32 {
    for &b in bytes {
        crc = CRC_TABLE[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
    }
    crc
}
