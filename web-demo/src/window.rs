//! Which rows of a long list to render: those in the scrolled view, plus a few
//! either side so a short scroll shows rows already there. A service of 10,000
//! instances costs the page a few dozen rows, whatever its size.

use std::ops::Range;

/// Height of one instance row, in CSS pixels (`--row-height` in `style.css`).
pub const ROW_HEIGHT_PX: f64 = 30.0;

/// Rows a service's table shows before it scrolls: enough to read a small
/// service whole, few enough that several unfolded services fit on a screen.
pub const ROWS_SHOWN: usize = 15;

/// Rows rendered beyond each edge of the view.
pub const OVERSCAN_ROWS: usize = 5;

/// The rows to render of a list of `len` rows of `row_height` pixels, scrolled to
/// `scroll_top` in a view `view_height` pixels tall.
pub fn rows_to_render(
    scroll_top: f64,
    view_height: f64,
    row_height: f64,
    len: usize,
) -> Range<usize> {
    if len == 0 || row_height.is_nan() || row_height <= 0.0 {
        return 0..0;
    }
    let top = if scroll_top.is_finite() {
        scroll_top.max(0.0)
    } else {
        0.0
    };
    let height = if view_height.is_finite() {
        view_height.max(0.0)
    } else {
        0.0
    };
    // Saturating float-to-int conversions: huge values clamp, NaN is excluded above.
    let first = (top / row_height).floor() as usize;
    let last = ((top + height) / row_height).ceil() as usize;
    let start = first.saturating_sub(OVERSCAN_ROWS).min(len);
    let end = last.saturating_add(OVERSCAN_ROWS).min(len);
    start..end.max(start)
}

/// The height of a service's scrolling table of `len` rows, in pixels.
pub fn table_height(len: usize) -> f64 {
    // At most ROWS_SHOWN rows: exact in f64.
    len.min(ROWS_SHOWN) as f64 * ROW_HEIGHT_PX
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_view_and_a_margin() {
        assert_eq!(rows_to_render(0.0, 450.0, 30.0, 10_000), 0..20);
        assert_eq!(rows_to_render(3_000.0, 450.0, 30.0, 10_000), 95..120);
        assert_eq!(
            rows_to_render(299_550.0, 450.0, 30.0, 10_000),
            9_980..10_000
        );
    }

    #[test]
    fn short_lists_render_whole() {
        assert_eq!(rows_to_render(0.0, 450.0, 30.0, 3), 0..3);
        assert_eq!(rows_to_render(0.0, 450.0, 30.0, 0), 0..0);
        assert_eq!(table_height(3), 90.0);
        assert_eq!(table_height(10_000), 450.0);
    }

    #[test]
    fn odd_measurements_render_something_sane() {
        assert_eq!(rows_to_render(-50.0, 450.0, 30.0, 100), 0..20);
        assert_eq!(rows_to_render(f64::NAN, f64::NAN, 30.0, 100), 0..5);
        assert_eq!(rows_to_render(1e300, 450.0, 30.0, 100), 100..100);
        assert_eq!(rows_to_render(0.0, 450.0, 0.0, 100), 0..0);
    }
}
