// Plays float32 stereo blocks (interleaved) posted by the page, through a
// ring buffer; reports how much is buffered so the page can show latency.
class StreamPlayer extends AudioWorkletProcessor {
  constructor() {
    super();
    this.size = 48000 * 2;  // frames: two seconds at 48 kHz.
    this.left = new Float32Array(this.size);
    this.right = new Float32Array(this.size);
    this.read = 0;
    this.write = 0;
    this.buffered = 0;
    this.started = false;
    this.prebuffer = 3 * 1024;  // frames before playback starts.
    this.sinceReport = 0;
    this.peak = 0;  // largest |sample| played since the last report.
    this.port.onmessage = (event) => this.push(new Float32Array(event.data));
  }

  push(block) {
    const frames = block.length / 2;
    if (this.buffered + frames > this.size) {  // far behind: drop old audio.
      this.read = this.write;
      this.buffered = 0;
    }
    for (let i = 0; i < frames; i++) {
      this.left[this.write] = block[2 * i];
      this.right[this.write] = block[2 * i + 1];
      this.write = (this.write + 1) % this.size;
    }
    this.buffered += frames;
  }

  process(inputs, outputs) {
    const out = outputs[0];
    const n = out[0].length;
    if (!this.started && this.buffered >= this.prebuffer) this.started = true;
    for (let i = 0; i < n; i++) {
      if (this.started && this.buffered > 0) {
        out[0][i] = this.left[this.read];
        if (out[1]) out[1][i] = this.right[this.read];
        this.peak = Math.max(this.peak, Math.abs(out[0][i]));
        this.read = (this.read + 1) % this.size;
        this.buffered--;
      } else {
        out[0][i] = 0;
        if (out[1]) out[1][i] = 0;
        if (this.started && this.buffered === 0) this.started = false;
      }
    }
    this.sinceReport += n;
    if (this.sinceReport >= 4800) {
      this.sinceReport = 0;
      this.port.postMessage({buffered: this.buffered, peak: this.peak});
      this.peak = 0;
    }
    return true;
  }
}

registerProcessor('stream-player', StreamPlayer);
