//! A rendered chart, decoded, to ask which colours it shows where.

#![allow(dead_code)] // each test file uses its own part

pub struct Image {
    pub width: u32,
    pub height: u32,
    rgb: Vec<u8>,
}

impl Image {
    pub fn decode(png: &[u8]) -> Image {
        let mut reader = png::Decoder::new(std::io::Cursor::new(png)).read_info().expect("a PNG");
        let mut rgb = vec![0; reader.output_buffer_size().expect("a sane size")];
        let info = reader.next_frame(&mut rgb).expect("a PNG frame");
        assert_eq!(info.color_type, png::ColorType::Rgb);
        Image { width: info.width, height: info.height, rgb }
    }

    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = ((y * self.width + x) * 3) as usize;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// How many pixels of the plot area (below the title and legend) in columns `xs` are
    /// (nearly) `colour`.
    pub fn count(&self, xs: std::ops::Range<u32>, colour: [u8; 3]) -> usize {
        let near = |p: [u8; 3]| p.iter().zip(colour).all(|(a, b)| a.abs_diff(b) <= 24);
        xs.flat_map(|x| (50..self.height).map(move |y| (x, y))).filter(|&(x, y)| near(self.pixel(x, y))).count()
    }

    pub fn everywhere(&self, colour: [u8; 3]) -> usize {
        self.count(0..self.width, colour)
    }
}
