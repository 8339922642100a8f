# 작업 중 화면에 나오는 말: 진행 단계, 안내, 진행 막대.

progress-step = {"  "}단계
progress-figures = 그림
progress-decoding = 그림을 완성하는 중
progress-bar = { $label } { $pos }/{ $len } { $bar } { $elapsed } 지남
progress-bar-eta = { $label } { $pos }/{ $len } { $bar } { $elapsed } 지남, 약 { $eta } 남음

stage-loading-model = 그림 모델 { $name } 불러오는 중
note-lora-merged = LoRA { $name }을(를) 세기 { $weight }(으)로 합쳤습니다
note-model-loaded = 모델을 { $seconds }초 만에 불러왔습니다
stage-loading-translator = 번역 모델 { $name } 불러오는 중
note-translator-loaded = 번역 모델을 { $seconds }초 만에 불러왔습니다
note-translated = { $caption } → { $english }
stage-downloading = { $name } 내려받는 중 (처음에는 시간이 걸릴 수 있습니다)
stage-downloading-translator = 번역 모델 { $name } 내려받는 중 (처음 한 번, 약 { $megabytes } MB)
note-downloading-file = {"  "}{ $file } 내려받는 중 ({ $size })
note-random-seed = 시드 { $seed } (시드는 그림의 출발점이 되는 번호입니다. 이 그림을 똑같이 다시 만들려면 --seed { $seed }를 붙이세요)
note-print-upscaler = 인쇄용으로 확대 모델 { $name }(×{ $scale })로 키운 뒤 Lanczos 방식으로 용지 크기에 정확히 맞춥니다
note-print-lanczos = 인쇄용으로 일반 Lanczos 방식으로 확대합니다 (학습된 확대 모델보다 덜 선명합니다. 더 선명하게 하려면 realesr-general-x4v3 가중치가 있는 폴더를 --upscaler로 지정하세요)
note-print-reduced = { $dpi } dpi에서 쪽 크기는 { $width } x { $height } 픽셀로 그림보다 크지 않아, 확대하지 않고 크기만 맞춥니다(Lanczos)
note-wrote = 저장함: { $path } ({ $seconds }초)
note-up-to-date = { $file }: 이미 최신입니다
note-figure-failed = 만들지 못함: { $file }: { $error }
note-batch-stopped = 멈췄습니다. 지금까지 만든 그림은 모두 저장되어 있습니다
note-batch-stopping = 지금 그리는 그림까지 마치고 멈춥니다 (바로 멈추려면 Ctrl-C를 한 번 더 누르세요)
stage-figure = [{ $position }/{ $of }] { $file }{ $why }: { $caption }
stage-figure-new = {""}
stage-figure-changed = {" "}(바뀐 설정: { $fields })
stage-figure-unusable = {" "}(다시 만듦: { $reason })
stage-compare-cell = [{ $done }/{ $of }] { $row }행 { $column }열: { $label }
note-plan-model-not-downloaded = { $name } 모델을 아직 내려받지 않아, 계획은 그 모델의 기본값으로 세웁니다 (지시문 길이는 어림값)
note-plan-lora-not-downloaded = LoRA { $names }도 아직 내려받지 않아, 이미 있는 그림 가운데 어느 것이 이 LoRA로 만들어졌는지 이 계획에서는 알 수 없습니다 (미리보기는 아무것도 내려받지 않습니다)
note-plan-translator-not-downloaded = 번역 모델 { $name }을(를) 아직 내려받지 않아, 이 계획에는 한국어 설명이 입력한 그대로 나옵니다 (미리보기는 아무것도 내려받지 않습니다)
    .hint = 영어 지시문을 여기서 보려면 먼저 `reportfig models fetch { $name }`을 실행하세요

warn-for-figure = { $file }: { $text }
warn-english-has-korean = 영어 지시문에 아직 한글이 남아 있습니다. 그림 모델은 한글을 잘 읽지 못합니다: "{ $text }"
    .hint = 그 낱말을 용어집(--glossary)에 넣거나, 영어를 직접 적어 주세요 (개요에 {"{"}en="..."{"}"})
warn-caption-in-korean = 설명이 번역되지 않고 한국어 그대로 그림 모델에 들어갑니다. 그림 모델은 한국어를 영어보다 훨씬 못 알아들어서, 그림이 설명과 다를 수 있습니다
    .hint = reportfig가 번역하게 하거나(--no-translate를 빼기), 설명을 영어로 써 주세요
warn-negative-ignored = 제외할 것(--negative)은 효과가 없습니다: 충실도(guidance)가 1 이하이면(터보 모델은 0) 모델이 쓰지 않습니다
note-lcm-style-settings = 이 모델은 LCM 방식으로 그리도록 만들어져, 화풍에 적힌 단계 수·충실도·샘플러 대신 { $steps }단계, 충실도 { $guidance }, 샘플러 { $sampler }(으)로 그립니다 (--steps, --guidance, --sampler로 바꿀 수 있습니다)
note-distilled-style-settings = { $model } 모델은 적은 단계로 빠르게 그리도록 만들어져, 화풍에 적힌 단계 수·충실도·샘플러 대신 { $steps }단계, 충실도 { $guidance }, 샘플러 { $sampler }(으)로 그립니다 (--steps, --guidance, --sampler로 바꿀 수 있습니다)
warn-negative-ignored-lcm = 제외할 것(--negative)은 효과가 없습니다: 이 LCM 모델은 충실도(guidance)를 설정값으로 받으며 제외할 것을 쓰지 않습니다
warn-dropped-words = 지시문이 모델이 읽을 수 있는 길이(77토큰: 영어 약 50단어, 한국어는 더 적음)보다 길어, 다음 낱말은 반영되지 않았습니다: "{ $words }"
    .hint = 설명을 줄이거나, 중요한 내용을 앞에 써 주세요
warn-style-words-left-out = 설명과 화풍을 합치면 { $model }이(가) 읽을 수 있는 길이({ $window }토큰)보다 길어, 화풍의 다음 낱말을 뺐습니다 (설명은 그대로 둠): { $words }
warn-caption-too-long = 설명만으로도 { $model }이(가) 읽을 수 있는 길이({ $window }토큰)보다 길어, 끝부분 낱말은 반영되지 않습니다
    .hint = 설명을 줄이거나, 중요한 내용을 앞에 써 주세요
warn-negative-cut = 제외할 것(--negative)이 { $model }이(가) 읽을 수 있는 길이({ $window }토큰)보다 길어 끝부분을 뺐습니다: { $words }
warn-translation-empty = 번역 모델이 "{ $caption }"의 영어를 내놓지 못해, 설명을 입력한 그대로 씁니다
    .hint = 영어를 직접 적어 주세요 (개요에 {"{"}en="..."{"}"}, 또는 영어 설명과 --no-translate)
warn-translation-cut = "{ $caption }"의 번역이 번역 모델의 길이 한도에서 잘려("{ $text }"), 설명을 입력한 그대로 씁니다
    .hint = 설명을 줄이거나, 영어를 직접 적어 주세요 (개요에 {"{"}en="..."{"}"})
warn-translation-lost-terms = "{ $caption }"의 번역에서 용어집 낱말이 빠졌습니다: { $terms }
    .hint = 아래 영어를 확인하거나, 직접 적어 주세요 (개요에 {"{"}en="..."{"}"})
warn-translation-cache = 번역 결과를 다음 실행을 위해 보관하지 못했습니다: { $reason }

summary-counts = 새로 만듦 { $generated }장, 이미 최신 { $skipped }장, 실패 { $failed }장
summary-counts-shards = { $counts }, 다른 컴퓨터 몫(shard)으로 남김 { $other }장
summary-failed = 실패: { $file }: { $error }
summary-stopped = 중간에 멈춤: { $not_started }장은 시작하지 않았습니다. 같은 명령을 다시 실행하면 이어서 만듭니다
summary-stray = 개요에 없는 파일 (그대로 둠): { $files }
summary-manifest = 그림 정보 목록(manifest): { $path }
summary-gallery = 그림 모아 보기 페이지: { $path }
summary-illustrated = 그림을 넣은 개요: { $path }

stage-preparing-export = { $name } 찾는 중 (--offline이 아니면 없는 파일은 내려받습니다)
stage-writing-bundle = 묶음을 { $dir }에 쓰는 중 ({ $size })
stage-checking-bundle = 설치하기 전에 묶음 { $dir }의 파일을 하나하나 확인하는 중
note-card-non-commercial = 알림: { $model } 모델 설명서(model card)에 사용 허가가 { $licence }(으)로 적혀 있어, 영리 목적으로 쓸 수 없습니다. 보도자료 등 공개하는 자료에 이 그림을 쓰기 전에 권리자에게 확인하세요.
summary-docx = 워드 문서 (워드와 한글에서 열림): { $path }
docx-caption = 그림 { $number }. { $caption }
docx-figure-missing = (아직 만들지 않은 그림: { $file })

plan-header = { $outline }: 그림 { $figures }장 중 { $generate }장을 만들고 { $skip }장은 이미 최신입니다. 저장 폴더 { $out }
plan-header-shard = { $outline }: 그림 { $figures }장, 몫 { $shard }. { $generate }장을 만들고 { $skip }장은 이미 최신입니다. 저장 폴더 { $out }
plan-figure = { $file }  { $action }
plan-caption = {"  "}그림 설명:  { $text }
plan-style = {"  "}화풍:       { $styles }
plan-no-style = {"  "}화풍:       (없음)
plan-prompt = {"  "}프롬프트:   { $text }
plan-negative = {"  "}피할 요소:  { $text }
plan-settings = {"  "}크기 { $width }x{ $height }, 시드 { $seed }, 단계 { $steps }, 지침 강도 { $guidance }, 샘플러 { $sampler }, 모델 { $model }
plan-model-default = 모델 기본값
plan-stray = 개요에 없는 파일(그대로 둠): { $files }
plan-action-skip = 건너뜀 (이미 최신)
plan-action-new = 만듦 (새 그림)
plan-action-changed = 다시 만듦 (바뀐 설정: { $fields })
plan-action-unusable = 다시 만듦 (있는 파일을 쓸 수 없음: { $reason })
plan-action-forced = 다시 만듦 (--force)
plan-action-other-shard = 다른 컴퓨터 몫
note-draft-made = 작은 디코더로 만든 초안입니다. 최종 그림은 --decoder tiny를 빼고 같은 명령을 다시 실행하세요(같은 시드 { $seed }: 같은 그림을 제 화질로 만듭니다)
note-draft-batch = 이 그림들은 작은 디코더로 만든 초안입니다. --decoder tiny를 빼고 같은 일괄 작업을 다시 실행하면 제 화질로 다시 만듭니다(같은 시드, 같은 그림)
note-draft-compare = 작은 디코더로 만든 초안입니다. 고른 그림은 같은 시드로 generate를 --decoder tiny 없이 실행하면 같은 그림을 최종 품질로 얻습니다
stage-downloading-tiny-decoder = 미리보기용 작은 디코더 { $name } 내려받는 중 (처음 한 번, 약 { $megabytes } MB)
stage-downloading-upscaler = 확대 모델 { $name } 내려받는 중 (처음 한 번, 약 { $megabytes } MB)
