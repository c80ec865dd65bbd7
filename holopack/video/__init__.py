"""Video input made ready for a fan: alpha kept, backgrounds keyed to exact black, the
subject cropped into the fan's circle, seamless loops and levels (docs/video.md).

decode    alpha-preserving readers (ffmpeg rgba / libvpx-vp9, Pillow sequences, folders)
hdr       HDR (PQ, HLG) and wide-gamut streams to sRGB: the published formulas as ffmpeg tables
options   the --key/--crop/--loop/--levels/--edge-fade/--see-through values, parsed once
plate     the clean plate: the per-pixel mode of a decimated sample of frames (Numba)
analyse   the first pass: background kind, key, thresholds, subject extent, levels
key       the per-frame matte and premultiplied colour (Numba, twin in key_reference);
          matte.screen_light: --see-through, the screen seen through a glow or smoke
segment   --key person: a person segmenter's matte (the optional extra `segment`)
crop      where the clip sits in the fan's square
edge_fade --edge-fade: a subject the frame cuts, faded out towards the cut
loop      crossfade and ping-pong frame orders
process   the processed clip as a MediaSource the pipeline streams
ahead     its frames decoded and keyed on a worker thread, ahead of the export's
"""
