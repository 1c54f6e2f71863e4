/**
 * Images a user pastes or drops, made ready for the board: decoded by the
 * browser (an SVG as an <img>, where it runs no script), drawn on a canvas and
 * re-encoded as PNG, or JPEG when that is smaller, shrinking until the bytes
 * fit MAX_IMAGE_BYTES (docs/security.md, "Board items"). Nothing but the
 * re-encoded pixels leaves the page.
 */

import { MAX_IMAGE_BYTES } from "./protocol";

/** Longest side tried first, in pixels; each retry shrinks it by a quarter. */
const FIRST_SIDE = 1600;
const TRIES = 10;

export interface Picture {
  /** Base64 of the PNG/JPEG bytes. */
  data: string;
  width: number;
  height: number;
}

function load(file: Blob): Promise<HTMLImageElement | null> {
  return new Promise((resolve) => {
    const image = new Image();
    const url = URL.createObjectURL(file);
    image.onload = () => resolve(image);
    image.onerror = () => resolve(null);
    image.src = url;
  });
}

function encode(canvas: HTMLCanvasElement, type: string): Promise<Blob | null> {
  return new Promise((resolve) => canvas.toBlob(resolve, type, 0.85));
}

async function base64(blob: Blob): Promise<string> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** The file as PNG/JPEG bytes that fit the board's limit, or null if it cannot be. */
export async function pictureData(file: Blob): Promise<Picture | null> {
  const image = await load(file);
  if (!image || !image.naturalWidth || !image.naturalHeight) return null;
  URL.revokeObjectURL(image.src);
  let side = Math.min(FIRST_SIDE, Math.max(image.naturalWidth, image.naturalHeight));
  for (let attempt = 0; attempt < TRIES; attempt++) {
    const ratio = side / Math.max(image.naturalWidth, image.naturalHeight);
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(image.naturalWidth * ratio));
    canvas.height = Math.max(1, Math.round(image.naturalHeight * ratio));
    const ctx = canvas.getContext("2d")!;
    ctx.fillStyle = "#ffffff"; // JPEG has no transparency: white, not black, behind it
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
    for (const type of ["image/png", "image/jpeg"]) {
      const blob = await encode(canvas, type);
      if (blob && blob.size <= MAX_IMAGE_BYTES) return { data: await base64(blob), width: canvas.width, height: canvas.height };
    }
    side = Math.round(side * 0.75);
  }
  return null;
}
