//! The example marketplace's photos, drawn rather than shipped: a room (a wall lit from a
//! window on the left, a skirting board, a wood or vinyl floor), the item standing on the
//! floor with its soft shadow, shaded faces that turn from the light, and a little grain and
//! vignetting, so a card looks like a phone photo of furniture rather than clip-art. They
//! are real JPEGs and go through the same pipeline as uploads.

use image::{Rgb, RgbImage};

const WIDTH: u32 = 960;
const HEIGHT: u32 = 720;
/// Where the wall meets the floor.
const HORIZON: f32 = 0.60 * HEIGHT as f32;

type Colour = [f32; 3];

/// The scene's light: from the window on the left, falling off to the right and downwards.
fn light_at(x: f32, y: f32) -> f32 {
    let across = 1.08 - 0.30 * (x / WIDTH as f32);
    let down = 1.0 - 0.10 * (y / HEIGHT as f32);
    across * down
}

fn scaled(colour: Colour, factor: f32) -> Colour {
    colour.map(|c| (c * factor).clamp(0.0, 255.0))
}

/// A repeatable pseudo-random value in 0..1 for a pixel, for grain and wood figure.
fn noise(x: u32, y: u32, salt: u32) -> f32 {
    let mut h = x
        .wrapping_mul(374_761_393)
        .wrapping_add(y.wrapping_mul(668_265_263))
        .wrapping_add(salt.wrapping_mul(2_147_483_647));
    h = (h ^ (h >> 13)).wrapping_mul(1_274_126_177);
    ((h ^ (h >> 16)) & 0xffff) as f32 / 65_535.0
}

struct Canvas {
    pixels: Vec<Colour>,
}

impl Canvas {
    fn room(variant: u32) -> Self {
        let walls: [Colour; 4] = [
            [233.0, 229.0, 220.0],
            [214.0, 222.0, 226.0],
            [230.0, 219.0, 200.0],
            [221.0, 226.0, 214.0],
        ];
        let wall = walls[variant as usize % walls.len()];
        let wood = variant.is_multiple_of(2);
        let floor: Colour = if wood {
            [176.0, 134.0, 92.0]
        } else {
            [150.0, 152.0, 150.0]
        };
        let mut pixels = Vec::with_capacity((WIDTH * HEIGHT) as usize);
        for y in 0..HEIGHT {
            for x in 0..WIDTH {
                let (fx, fy) = (x as f32, y as f32);
                let base = if fy < HORIZON - 16.0 {
                    wall
                } else if fy < HORIZON {
                    // The skirting board, with a shadowed top edge.
                    if fy < HORIZON - 14.0 {
                        scaled(wall, 0.80)
                    } else {
                        [236.0, 236.0, 232.0]
                    }
                } else {
                    // Boards narrow towards the wall; each has its own tone.
                    let depth = (fy - HORIZON) / (HEIGHT as f32 - HORIZON);
                    let row = ((depth * depth) * 14.0) as u32;
                    let board_tone = if wood {
                        0.88 + 0.18 * noise(row, 7, variant)
                    } else {
                        1.0
                    };
                    let figure = if wood {
                        0.96 + 0.08 * noise(x / 9, y / 2 + row * 31, variant)
                    } else {
                        1.0
                    };
                    let seam = if wood && ((depth * depth) * 14.0).fract() < 0.035 {
                        0.78
                    } else {
                        1.0
                    };
                    // The floor reflects the window a little near the wall.
                    let sheen = 1.0 + 0.10 * (1.0 - depth);
                    scaled(floor, board_tone * figure * seam * sheen)
                };
                pixels.push(scaled(base, light_at(fx, fy)));
            }
        }
        Canvas { pixels }
    }

    fn at(&mut self, x: i32, y: i32) -> Option<&mut Colour> {
        if x < 0 || y < 0 || x >= WIDTH as i32 || y >= HEIGHT as i32 {
            return None;
        }
        self.pixels.get_mut((y as u32 * WIDTH + x as u32) as usize)
    }

    /// A soft contact shadow on the floor: darkest under the item, fading outwards.
    fn shadow(&mut self, cx: f32, cy: f32, rx: f32, ry: f32, strength: f32) {
        let (x0, x1) = ((cx - rx * 1.6) as i32, (cx + rx * 1.6) as i32);
        let (y0, y1) = ((cy - ry * 1.6) as i32, (cy + ry * 1.6) as i32);
        for y in y0..=y1 {
            for x in x0..=x1 {
                let dx = (x as f32 - cx) / rx;
                let dy = (y as f32 - cy) / ry;
                let d = (dx * dx + dy * dy).sqrt();
                if d < 1.6 {
                    let fade = (1.0 - d / 1.6).powf(1.6);
                    if let Some(pixel) = self.at(x, y) {
                        *pixel = scaled(*pixel, 1.0 - strength * fade);
                    }
                }
            }
        }
    }

    /// A filled convex polygon, shaded by the light at each pixel; `gloss` lightens the top.
    fn polygon(&mut self, points: &[(f32, f32)], colour: Colour, gloss: f32) {
        let (min_y, max_y) = points.iter().fold((f32::MAX, f32::MIN), |(lo, hi), p| {
            (lo.min(p.1), hi.max(p.1))
        });
        let (min_x, max_x) = points.iter().fold((f32::MAX, f32::MIN), |(lo, hi), p| {
            (lo.min(p.0), hi.max(p.0))
        });
        let height = (max_y - min_y).max(1.0);
        for y in min_y.floor() as i32..=max_y.ceil() as i32 {
            for x in min_x.floor() as i32..=max_x.ceil() as i32 {
                let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
                if !inside(points, px, py) {
                    continue;
                }
                let top = 1.0 + gloss * (1.0 - (py - min_y) / height);
                let shaded = scaled(colour, light_at(px, py) * top);
                if let Some(pixel) = self.at(x, y) {
                    *pixel = shaded;
                }
            }
        }
    }

    fn rect(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, colour: Colour) {
        self.polygon(&[(x0, y0), (x1, y0), (x1, y1), (x0, y1)], colour, 0.06);
    }

    /// A box seen slightly from above and from the left: front, top and right side.
    fn block(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, depth: f32, colour: Colour) {
        let (dx, dy) = (depth * 0.55, depth * 0.35);
        self.polygon(
            &[(x0, y0), (x0 + dx, y0 - dy), (x1 + dx, y0 - dy), (x1, y0)],
            scaled(colour, 1.12),
            0.0,
        );
        self.polygon(
            &[(x1, y0), (x1 + dx, y0 - dy), (x1 + dx, y1 - dy), (x1, y1)],
            scaled(colour, 0.72),
            0.0,
        );
        self.rect(x0, y0, x1, y1, colour);
    }

    fn ellipse(&mut self, cx: f32, cy: f32, rx: f32, ry: f32, colour: Colour) {
        let steps = 40;
        let points: Vec<(f32, f32)> = (0..steps)
            .map(|i| {
                let a = i as f32 / steps as f32 * std::f32::consts::TAU;
                (cx + rx * a.cos(), cy + ry * a.sin())
            })
            .collect();
        self.polygon(&points, colour, 0.15);
    }

    /// Finishes like a phone camera would: grain and darker corners, then a JPEG.
    fn photograph(self, salt: u32) -> Vec<u8> {
        let image = RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
            let colour = self.pixels[(y * WIDTH + x) as usize];
            let (nx, ny) = (
                x as f32 / WIDTH as f32 - 0.5,
                y as f32 / HEIGHT as f32 - 0.5,
            );
            let vignette = 1.0 - 0.35 * (nx * nx + ny * ny);
            let grain = 1.0 + 0.035 * (noise(x, y, salt) - 0.5);
            let finished = scaled(colour, vignette * grain);
            Rgb(finished.map(|c| c.round() as u8))
        });
        let mut out = Vec::new();
        let encoded =
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 86).encode_image(&image);
        if encoded.is_err() {
            out.clear();
        }
        out
    }
}

/// Whether (x, y) is inside the convex polygon (either winding).
fn inside(points: &[(f32, f32)], x: f32, y: f32) -> bool {
    let mut sign = 0.0f32;
    for (i, a) in points.iter().enumerate() {
        let b = points[(i + 1) % points.len()];
        let cross = (b.0 - a.0) * (y - a.1) - (b.1 - a.1) * (x - a.0);
        if cross.abs() < f32::EPSILON {
            continue;
        }
        if sign == 0.0 {
            sign = cross.signum();
        } else if cross.signum() != sign {
            return false;
        }
    }
    true
}

const FLOOR: f32 = 610.0;

fn office_chair(canvas: &mut Canvas, fabric: Colour) {
    let black: Colour = [38.0, 38.0, 40.0];
    canvas.shadow(480.0, FLOOR + 4.0, 170.0, 26.0, 0.55);
    for (tip_x, tip_y) in [
        (330.0, 600.0),
        (410.0, 625.0),
        (560.0, 625.0),
        (635.0, 600.0),
        (480.0, 585.0),
    ] {
        let (hx, hy) = (480.0, 560.0);
        canvas.polygon(
            &[
                (hx - 9.0, hy),
                (hx + 9.0, hy),
                (tip_x + 6.0, tip_y),
                (tip_x - 6.0, tip_y),
            ],
            black,
            0.2,
        );
        canvas.ellipse(tip_x, tip_y + 8.0, 13.0, 10.0, [25.0, 25.0, 25.0]);
    }
    canvas.rect(470.0, 420.0, 490.0, 560.0, [120.0, 122.0, 126.0]);
    canvas.rect(464.0, 500.0, 496.0, 545.0, black);
    canvas.rect(375.0, 395.0, 585.0, 430.0, scaled(fabric, 0.65));
    canvas.polygon(
        &[
            (365.0, 380.0),
            (595.0, 380.0),
            (585.0, 405.0),
            (375.0, 405.0),
        ],
        fabric,
        0.2,
    );
    canvas.rect(468.0, 330.0, 492.0, 385.0, black);
    canvas.polygon(
        &[
            (392.0, 150.0),
            (568.0, 150.0),
            (580.0, 330.0),
            (380.0, 330.0),
        ],
        fabric,
        0.25,
    );
    canvas.rect(392.0, 150.0, 568.0, 160.0, scaled(fabric, 1.15));
    for x in [352.0, 588.0] {
        canvas.rect(x, 330.0, x + 20.0, 345.0, black);
        canvas.rect(x + 6.0, 345.0, x + 14.0, 392.0, black);
    }
}

fn simple_chair(canvas: &mut Canvas, frame: Colour, seat: Colour) {
    canvas.shadow(480.0, FLOOR, 130.0, 22.0, 0.45);
    for (x, top, bottom, width) in [
        (400.0, 420.0, 612.0, 12.0),
        (548.0, 420.0, 612.0, 12.0),
        (428.0, 400.0, 575.0, 9.0),
        (574.0, 400.0, 575.0, 9.0),
    ] {
        canvas.rect(x, top, x + width, bottom, frame);
    }
    canvas.block(392.0, 400.0, 566.0, 422.0, 50.0, seat);
    canvas.rect(412.0, 260.0, 424.0, 402.0, frame);
    canvas.rect(560.0, 230.0, 572.0, 372.0, frame);
    canvas.polygon(
        &[
            (406.0, 220.0),
            (578.0, 196.0),
            (578.0, 276.0),
            (406.0, 300.0),
        ],
        seat,
        0.2,
    );
}

fn table(canvas: &mut Canvas, top: Colour, legs: Colour, width: f32, height: f32) {
    let (x0, x1) = (480.0 - width / 2.0, 480.0 + width / 2.0);
    let top_y = FLOOR - height;
    canvas.shadow(480.0 + 30.0, FLOOR - 4.0, width * 0.55, 30.0, 0.35);
    for (x, shrink) in [(x0 + 40.0, 40.0), (x1 + 20.0, 40.0)] {
        canvas.rect(x, top_y, x + 12.0, FLOOR - shrink, scaled(legs, 0.8));
    }
    for x in [x0 + 14.0, x1 - 26.0] {
        canvas.rect(x, top_y, x + 14.0, FLOOR, legs);
    }
    canvas.block(x0, top_y - 16.0, x1, top_y, 110.0, top);
}

fn cabinet(canvas: &mut Canvas, colour: Colour, x0: f32, x1: f32, height: f32, drawers: u32) {
    let top = FLOOR - height;
    canvas.shadow((x0 + x1) / 2.0 + 20.0, FLOOR, (x1 - x0) * 0.6, 20.0, 0.45);
    canvas.block(x0, top, x1, FLOOR, 70.0, colour);
    let handle: Colour = [150.0, 152.0, 156.0];
    if drawers == 0 {
        let middle = (x0 + x1) / 2.0;
        canvas.rect(
            middle - 1.5,
            top + 8.0,
            middle + 1.5,
            FLOOR - 8.0,
            scaled(colour, 0.7),
        );
        for x in [middle - 22.0, middle + 14.0] {
            canvas.rect(
                x,
                top + height * 0.45,
                x + 8.0,
                top + height * 0.45 + 60.0,
                handle,
            );
        }
    } else {
        let step = height / drawers as f32;
        for i in 0..drawers {
            let y = top + step * i as f32;
            canvas.rect(
                x0 + 6.0,
                y + step - 3.0,
                x1 - 6.0,
                y + step,
                scaled(colour, 0.7),
            );
            canvas.rect(
                (x0 + x1) / 2.0 - 30.0,
                y + step * 0.4,
                (x0 + x1) / 2.0 + 30.0,
                y + step * 0.4 + 8.0,
                handle,
            );
        }
    }
}

fn sofa(canvas: &mut Canvas, fabric: Colour) {
    canvas.shadow(480.0, FLOOR, 300.0, 26.0, 0.5);
    canvas.block(200.0, 300.0, 760.0, 470.0, 90.0, scaled(fabric, 0.92));
    canvas.block(230.0, 450.0, 730.0, 560.0, 90.0, fabric);
    for (x0, x1) in [(240.0, 480.0), (484.0, 724.0)] {
        canvas.block(x0, 430.0, x1, 470.0, 70.0, scaled(fabric, 1.08));
    }
    canvas.block(170.0, 400.0, 235.0, 575.0, 100.0, scaled(fabric, 0.85));
    canvas.block(725.0, 400.0, 790.0, 575.0, 100.0, scaled(fabric, 0.85));
    for x in [210.0, 740.0] {
        canvas.rect(x, 575.0, x + 14.0, FLOOR, [60.0, 45.0, 35.0]);
    }
}

/// Things that stand on a table: the table is drawn first.
fn on_a_table(canvas: &mut Canvas, variant: u32) -> f32 {
    let tops: [Colour; 3] = [
        [196.0, 168.0, 130.0],
        [235.0, 235.0, 230.0],
        [120.0, 90.0, 66.0],
    ];
    table(
        canvas,
        tops[variant as usize % tops.len()],
        [70.0, 72.0, 76.0],
        560.0,
        250.0,
    );
    FLOOR - 250.0 - 16.0
}

fn monitor(canvas: &mut Canvas, surface: f32) {
    let black: Colour = [30.0, 31.0, 34.0];
    canvas.ellipse(480.0, surface - 8.0, 80.0, 12.0, black);
    canvas.rect(468.0, surface - 120.0, 492.0, surface - 8.0, black);
    canvas.rect(300.0, surface - 330.0, 660.0, surface - 110.0, black);
    canvas.polygon(
        &[
            (312.0, surface - 318.0),
            (648.0, surface - 318.0),
            (648.0, surface - 122.0),
            (312.0, surface - 122.0),
        ],
        [52.0, 70.0, 98.0],
        0.6,
    );
}

fn laptop(canvas: &mut Canvas, surface: f32) {
    let body: Colour = [176.0, 178.0, 182.0];
    canvas.polygon(
        &[
            (330.0, surface - 6.0),
            (630.0, surface - 6.0),
            (600.0, surface - 46.0),
            (360.0, surface - 46.0),
        ],
        body,
        0.1,
    );
    canvas.polygon(
        &[
            (360.0, surface - 46.0),
            (600.0, surface - 46.0),
            (590.0, surface - 220.0),
            (370.0, surface - 220.0),
        ],
        [40.0, 42.0, 46.0],
        0.0,
    );
    canvas.polygon(
        &[
            (372.0, surface - 54.0),
            (588.0, surface - 54.0),
            (580.0, surface - 210.0),
            (380.0, surface - 210.0),
        ],
        [70.0, 92.0, 120.0],
        0.5,
    );
}

fn small_device(canvas: &mut Canvas, surface: f32, wide: f32, tall: f32) {
    canvas.polygon(
        &[
            (480.0 - wide, surface - 4.0),
            (480.0 + wide, surface - 4.0),
            (480.0 + wide * 0.8, surface - 4.0 - tall * 0.3),
            (480.0 - wide * 0.8, surface - 4.0 - tall * 0.3),
        ],
        [28.0, 29.0, 32.0],
        0.3,
    );
}

fn appliance(canvas: &mut Canvas, kind: &str, variant: u32) {
    let white: Colour = if variant % 3 == 1 {
        [200.0, 202.0, 205.0]
    } else {
        [242.0, 242.0, 240.0]
    };
    let grey: Colour = [110.0, 112.0, 116.0];
    match kind {
        "kylskap" => {
            cabinet(canvas, white, 360.0, 600.0, 520.0, 0);
            canvas.rect(364.0, 300.0, 596.0, 304.0, scaled(white, 0.75));
        }
        "tvattmaskin" | "diskmaskin" => {
            cabinet(canvas, white, 350.0, 610.0, 300.0, 0);
            canvas.rect(
                350.0,
                FLOOR - 300.0,
                610.0,
                FLOOR - 260.0,
                scaled(white, 0.9),
            );
            if kind == "tvattmaskin" {
                canvas.ellipse(480.0, FLOOR - 135.0, 88.0, 88.0, grey);
                canvas.ellipse(480.0, FLOOR - 135.0, 66.0, 66.0, [60.0, 72.0, 84.0]);
            }
        }
        _ => {
            cabinet(canvas, white, 350.0, 610.0, 330.0, 0);
            canvas.rect(
                375.0,
                FLOOR - 250.0,
                585.0,
                FLOOR - 70.0,
                [34.0, 34.0, 36.0],
            );
            canvas.rect(375.0, FLOOR - 326.0, 585.0, FLOOR - 300.0, grey);
        }
    }
}

fn boxes(canvas: &mut Canvas) {
    let cardboard: Colour = [190.0, 150.0, 104.0];
    canvas.shadow(470.0, FLOOR, 220.0, 24.0, 0.5);
    canvas.block(290.0, 440.0, 500.0, FLOOR, 110.0, cardboard);
    canvas.block(520.0, 470.0, 680.0, FLOOR, 90.0, scaled(cardboard, 0.95));
    canvas.block(320.0, 300.0, 480.0, 440.0, 90.0, scaled(cardboard, 1.05));
    canvas.rect(385.0, 300.0, 415.0, 440.0, [206.0, 180.0, 120.0]);
}

/// A photo of an item of the category `slug`, in one of a few rooms and colours.
pub fn photo(slug: &str, variant: u32) -> Vec<u8> {
    let fabrics: [Colour; 4] = [
        [52.0, 74.0, 120.0],
        [70.0, 72.0, 76.0],
        [140.0, 60.0, 52.0],
        [64.0, 110.0, 84.0],
    ];
    let fabric = fabrics[variant as usize % fabrics.len()];
    let woods: [Colour; 3] = [
        [196.0, 160.0, 118.0],
        [232.0, 230.0, 224.0],
        [110.0, 80.0, 58.0],
    ];
    let wood = woods[variant as usize % woods.len()];
    let mut canvas = Canvas::room(variant);
    let leaf = slug.rsplit('/').next().unwrap_or_default();
    match leaf {
        "kontorsstol" => office_chair(&mut canvas, fabric),
        "besoksstol-och-skolstol" => simple_chair(&mut canvas, [60.0, 62.0, 66.0], wood),
        "skrivbord" => {
            table(&mut canvas, wood, [60.0, 62.0, 66.0], 600.0, 240.0);
            cabinet(&mut canvas, scaled(wood, 0.95), 560.0, 660.0, 200.0, 3);
        }
        "bord" => table(&mut canvas, wood, scaled(wood, 0.7), 520.0, 230.0),
        "hurts-och-forvaring" => {
            cabinet(&mut canvas, [222.0, 222.0, 218.0], 380.0, 580.0, 260.0, 3)
        }
        "skap" => cabinet(&mut canvas, wood, 340.0, 620.0, 470.0, 0),
        "soffa" => sofa(&mut canvas, fabric),
        "skarm" => {
            let surface = on_a_table(&mut canvas, variant);
            monitor(&mut canvas, surface);
        }
        "barbar-dator" => {
            let surface = on_a_table(&mut canvas, variant);
            laptop(&mut canvas, surface);
        }
        "surfplatta" | "mobiltelefon" => {
            let surface = on_a_table(&mut canvas, variant);
            let (wide, tall) = if leaf == "surfplatta" {
                (110.0, 160.0)
            } else {
                (45.0, 90.0)
            };
            small_device(&mut canvas, surface, wide, tall);
        }
        "stationar-dator" => {
            cabinet(&mut canvas, [40.0, 41.0, 44.0], 410.0, 550.0, 300.0, 0);
        }
        "skrivare" => {
            let surface = on_a_table(&mut canvas, variant);
            canvas.block(
                370.0,
                surface - 120.0,
                590.0,
                surface,
                90.0,
                [226.0, 226.0, 222.0],
            );
            canvas.rect(
                400.0,
                surface - 132.0,
                560.0,
                surface - 120.0,
                [250.0, 250.0, 250.0],
            );
        }
        "kylskap" | "diskmaskin" | "tvattmaskin" | "spis-och-ugn" => {
            appliance(&mut canvas, leaf, variant);
        }
        "sma-elapparater" => {
            let surface = on_a_table(&mut canvas, variant);
            canvas.block(430.0, surface - 140.0, 530.0, surface, 60.0, fabric);
        }
        "stora-elapparater" => appliance(&mut canvas, "", variant),
        _ => boxes(&mut canvas),
    }
    canvas.photograph(variant)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_photo_is_a_jpeg_with_a_lit_wall_a_floor_and_the_item() {
        let bytes = photo("mobler/kontorsstol", 0);
        let image = image::load_from_memory(&bytes).expect("a JPEG").to_rgb8();
        assert_eq!(image.dimensions(), (WIDTH, HEIGHT));
        let luma = |x: u32, y: u32| {
            let p = image.get_pixel(x, y);
            (u32::from(p[0]) + u32::from(p[1]) + u32::from(p[2])) / 3
        };
        // Lit from the window on the left.
        assert!(
            luma(60, 100) > luma(900, 100),
            "the wall darkens away from the light"
        );
        // The floor differs from the wall, the chair's seat from both.
        assert!(luma(60, 100).abs_diff(luma(60, 690)) > 20);
        assert!(luma(480, 392).abs_diff(luma(60, 392)) > 60);
        // Different variants are different rooms.
        assert_ne!(photo("mobler/kontorsstol", 1), bytes);
    }

    #[test]
    fn the_polygon_test_takes_either_winding() {
        let square = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)];
        let reversed: Vec<_> = square.iter().rev().copied().collect();
        assert!(inside(&square, 5.0, 5.0));
        assert!(inside(&reversed, 5.0, 5.0));
        assert!(!inside(&square, 15.0, 5.0));
    }
}
