//! WebP: the RIFF container and its `VP8 `, `VP8L` or `VP8X` chunk.

use super::{Cursor, Stop, nonzero};

/// WebP: a RIFF container that fits the file, then a `VP8 ` (lossy), `VP8L` (lossless) or
/// `VP8X` (extended) chunk with the dimensions.
pub(super) fn read(c: &mut Cursor<'_>, dimensions: &mut Option<(u32, u32)>) -> Result<(), Stop> {
    c.take(4)?;
    let riff = c.le32()?;
    c.take(4)?;
    if riff < 4 + 8 || u64::from(riff) + 8 > c.total {
        return Err(Stop::Invalid);
    }
    let kind: [u8; 4] = c.array()?;
    let len = c.le32()?;
    if u64::from(len) + 12 > u64::from(riff) {
        return Err(Stop::Invalid);
    }
    *dimensions = match &kind {
        b"VP8 " => {
            let &[tag, _, _, 0x9D, 0x01, 0x2A, w0, w1, h0, h1] = c.take(10)? else {
                return Err(Stop::Invalid);
            };
            if tag & 1 != 0 {
                return Err(Stop::Invalid); // not a key frame
            }
            nonzero(
                u32::from(u16::from_le_bytes([w0, w1]) & 0x3FFF),
                u32::from(u16::from_le_bytes([h0, h1]) & 0x3FFF),
            )?
        }
        b"VP8L" => {
            if c.u8()? != 0x2F {
                return Err(Stop::Invalid);
            }
            let bits = c.le32()?;
            if bits >> 29 != 0 {
                return Err(Stop::Invalid); // version
            }
            nonzero((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)?
        }
        b"VP8X" => {
            let &[_, _, _, _, w0, w1, w2, h0, h1, h2] = c.take(10)? else {
                return Err(Stop::Invalid);
            };
            nonzero(
                u32::from_le_bytes([w0, w1, w2, 0]) + 1,
                u32::from_le_bytes([h0, h1, h2, 0]) + 1,
            )?
        }
        _ => return Err(Stop::Invalid),
    };
    Ok(())
}
