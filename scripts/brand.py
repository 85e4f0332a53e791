"""Draw the SMS Gateways brand images (speech bubble with "SMS"), trimmed, transparent."""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).parent.parent / "custom_components" / "sms_gateways" / "brand"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
SS = 4  # supersampling for smooth edges


def bubble(size: int, fill, text_fill) -> Image.Image:
    s = size * SS
    im = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    body_h = round(s * 0.80)
    d.rounded_rectangle((0, 0, s - 1, body_h), radius=round(s * 0.2), fill=fill)
    # The tail: from the body's lower edge down to the bottom-left, as chat bubbles point.
    d.polygon(
        [(round(s * 0.16), body_h - 2), (round(s * 0.50), body_h - 2), (round(s * 0.16), s - 1)],
        fill=fill,
    )
    font = ImageFont.truetype(BOLD, round(s * 0.34))
    box = d.textbbox((0, 0), "SMS", font=font)
    tw, th = box[2] - box[0], box[3] - box[1]
    d.text(((s - tw) / 2 - box[0], (body_h - th) / 2 - box[1]), "SMS", font=font, fill=text_fill)
    return im.resize((size, size), Image.LANCZOS)


def logo(height: int, fill, text_fill, word_fill) -> Image.Image:
    mark = bubble(height, fill, text_fill)
    font = ImageFont.truetype(BOLD, round(height * 0.42))
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    box = probe.textbbox((0, 0), "Gateways", font=font)
    tw, th = box[2] - box[0], box[3] - box[1]
    gap = round(height * 0.12)
    im = Image.new("RGBA", (height + gap + tw, height), (0, 0, 0, 0))
    im.alpha_composite(mark)
    d = ImageDraw.Draw(im)
    # Baseline-ish centred on the bubble's body, not on the whole mark with its tail.
    d.text(
        (height + gap - box[0], (height * 0.80 - th) / 2 - box[1]),
        "Gateways",
        font=font,
        fill=word_fill,
    )
    return im.crop(im.getbbox())


BLUE, LIGHT_BLUE, WHITE, INK = (
    (3, 169, 244, 255),
    (41, 182, 246, 255),
    (255, 255, 255, 255),
    (33, 33, 33, 255),
)
for scale, suffix in ((1, ""), (2, "@2x")):
    bubble(256 * scale, BLUE, WHITE).save(OUT / f"icon{suffix}.png", optimize=True)
    bubble(256 * scale, LIGHT_BLUE, WHITE).save(OUT / f"dark_icon{suffix}.png", optimize=True)
    logo(200 * scale, BLUE, WHITE, INK).save(OUT / f"logo{suffix}.png", optimize=True)
    logo(200 * scale, LIGHT_BLUE, WHITE, WHITE).save(OUT / f"dark_logo{suffix}.png", optimize=True)
