# reportfig compare: the labels of the contact sheet, its legend, and its HTML page.

compare-seed = seed { $seed }
compare-steps = steps { $steps }
compare-guidance = guidance { $guidance }
compare-sampler = sampler { $name }
compare-sampler-default = default
compare-no-style = (no style)
compare-header-many = Comparison
compare-legend-title = What the labels mean
compare-legend-seed = seed: the number a picture starts from; the same seed with the same settings gives the same picture again.
compare-legend-steps = steps: how many times the picture is refined; more is slower and finer (turbo models need 1 to 4).
compare-legend-guidance = guidance: how closely the picture follows the caption (turbo models use 0).
compare-legend-sampler = sampler: the method used to refine the picture.
compare-legend-model = model: the image model that drew the picture.
compare-page-title = Comparison
compare-sheet-link = The whole sheet as one picture
compare-snippet-explain = Under each picture: its file, and a block for the report outline. Put the block at the end of the figure's line and the batch makes this same picture.
compare-button-use-this = Use this (copy)
compare-copied = Copied
compare-settings = All settings
compare-note-flags = the batch command also needs: { $flags }
help-compare-names = How file names write Korean words: korean keeps Hangul (works in Windows, HWP and Word), roman writes it in Latin letters for tools that only take ASCII names.
compare-strength = strength { $strength }
compare-legend-strength = strength: how much of the starting picture is repainted; 0.3 keeps most of it, 1 keeps only a hint of its layout.
compare-strength-needs-init-image = --vary strength compares how much of a starting picture is repainted; add --init-image FILE
