# The batch gallery (index.html next to the figures): a review page for the person who puts
# the figures into the report.

gallery-kicker = Figures made from { $outline }
gallery-summary = { $count ->
    [one] 1 figure.
   *[other] { $count } figures.
} Click a picture to open it at full size. { $outdated ->
    [0] {""}
    [one] 1 older picture in this folder is no longer in the outline: see the end of the page.
   *[other] { $outdated } older pictures in this folder are no longer in the outline: see the end of the page.
}
gallery-legend-title = What the settings mean
gallery-term-seed = Seed
gallery-legend-seed = The number the picture starts from. The same seed with the same settings gives the same picture again; another seed gives another picture of the same caption.
gallery-term-steps = Steps
gallery-legend-steps = How many times the picture is refined. More steps take longer; turbo models need only 1 to 4.
gallery-term-guidance = Guidance
gallery-legend-guidance = How closely the picture follows the caption. Higher follows it more literally; turbo models use 0.
gallery-term-sampler = Sampler
gallery-legend-sampler = The method used to refine the picture. "The model's own" means the model's recommended method.
gallery-term-snippet = "Use this"
gallery-legend-snippet = Copies a block such as {"{"}seed=7 style=watercolor-cityscape{"}"}. Put it at the end of the figure's line in the outline and the next run keeps exactly this picture, even if lines move.
gallery-figure-number = Figure { $n }.
gallery-figure-stale = Made with older settings: run the batch again to update it
gallery-field-english = English used
gallery-english-given = written in the outline
gallery-english-translated = translated by { $by }
gallery-field-style = Style
gallery-no-style = no style
gallery-field-settings = Settings
gallery-field-file = File
gallery-field-prompt = Full prompt
gallery-field-negative = Avoided
gallery-field-model = Model
gallery-details = Everything the model was given
gallery-size = { $size } pixels
gallery-seed = seed { $seed }
gallery-steps = steps { $steps }
gallery-guidance = guidance { $guidance }
gallery-sampler = sampler { $name }
gallery-sampler-model = the model's own sampler
gallery-button-copy = Copy image
gallery-button-download = Download
gallery-button-use-this = Use this (copy)
gallery-snippet-hint = To keep this picture, put the block at the end of the figure's line in the outline.
gallery-missing-title = Not made yet ({ $count })
gallery-outdated-title = Outdated: no longer in the outline ({ $count })
gallery-outdated-explain = These pictures were made for captions that have since changed or been removed. They were not deleted; do not put them into the report. Delete them yourself once you no longer need them.
gallery-status-copied = Picture copied: paste it into the document (Ctrl+V).
gallery-status-copied-text = Copied { "{" }text{ "}" }: paste it at the end of the figure's line.
gallery-status-copy-failed = This browser did not allow copying. Right-click the picture and choose "Copy image".
gallery-status-copy-text-failed = Copying did not work: select the block and press Ctrl+C.
help-batch-names = How figure file names write Korean words: korean keeps Hangul (01-버스-전용차로.png; works in Windows, HWP and Word), roman writes it in Latin letters (01-beoseu-jeonyongcharo.png) for tools that only take ASCII names.
help-generate-names = How the default file name writes Korean words: korean keeps Hangul, roman writes it in Latin letters.
gallery-init-image = from { $file } (strength { $strength })
