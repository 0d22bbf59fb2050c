//! JPEG: marker segments up to the first scan, the frame header giving the dimensions.

use super::{Cursor, Stop, nonzero};

/// JPEG: `SOI`, then marker segments; a frame header (`SOFn`) gives the dimensions and must
/// come before the first scan (`SOS`).
pub(super) fn read(c: &mut Cursor<'_>, dimensions: &mut Option<(u32, u32)>) -> Result<(), Stop> {
    c.take(2)?;
    loop {
        if c.u8()? != 0xFF {
            return Err(Stop::Invalid);
        }
        let mut marker = c.u8()?;
        while marker == 0xFF {
            marker = c.u8()?; // fill bytes
        }
        match marker {
            // Standalone markers: TEM and restart markers.
            0x01 | 0xD0..=0xD7 => continue,
            // A second SOI, an end before any scan, a stuffed zero where a marker belongs.
            0x00 | 0xD8 | 0xD9 => return Err(Stop::Invalid),
            _ => {}
        }
        let len = c.be16()?;
        let segment = c.take(usize::from(len.checked_sub(2).ok_or(Stop::Invalid)?))?;
        match marker {
            // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                let &[precision, h0, h1, w0, w1, components, ref rest @ ..] = segment else {
                    return Err(Stop::Invalid);
                };
                if dimensions.is_some()
                    || !(2..=16).contains(&precision)
                    || !(1..=4).contains(&components)
                    || rest.len() < 3 * usize::from(components)
                {
                    return Err(Stop::Invalid);
                }
                *dimensions = nonzero(
                    u32::from(u16::from_be_bytes([w0, w1])),
                    u32::from(u16::from_be_bytes([h0, h1])),
                )?;
            }
            0xDA if dimensions.is_some() => return Ok(()),
            0xDA => return Err(Stop::Invalid),
            _ => {}
        }
    }
}
