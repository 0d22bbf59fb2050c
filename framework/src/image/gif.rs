//! GIF: the header, logical screen descriptor and global colour table.

use super::{Cursor, Stop, nonzero};

/// GIF: the header and logical screen descriptor, the global colour table when there is one,
/// then an extension or an image.
pub(super) fn read(c: &mut Cursor<'_>, dimensions: &mut Option<(u32, u32)>) -> Result<(), Stop> {
    c.take(6)?;
    let (width, height) = (c.le16()?, c.le16()?);
    let flags = c.u8()?;
    c.take(2)?; // background colour, aspect ratio
    *dimensions = nonzero(u32::from(width), u32::from(height))?;
    if flags & 0x80 != 0 {
        c.take(3 << ((flags & 0x07) + 1))?;
    }
    match c.u8()? {
        0x21 | 0x2C => Ok(()),
        _ => Err(Stop::Invalid),
    }
}
