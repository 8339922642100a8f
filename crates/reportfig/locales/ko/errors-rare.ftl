# 드문 오류: 운영체제가 알려 준 이유, 그림이 하나도 없는 개요, 그리고 엔진 안쪽의 오류
# (텍스트 인코더, 토크나이저, 샘플러 설정, 작은 디코더, 모델에 맞춰 본 요청, 계산 실패).

# 파일을 읽거나 쓰지 못한 이유("…을(를) 읽을 수 없습니다: …"의 뒷부분).
os-reason = { $why ->
        [not-found] 그런 파일이나 폴더가 없습니다
        [denied] 권한이 없습니다
        [exists] 이미 있습니다
        [full] 디스크 공간이 부족합니다
        [too-large] 이 드라이브나 파일 크기 제한이 허용하는 것보다 파일이 큽니다
        [read-only] 읽기 전용 드라이브나 폴더입니다
        [is-a-folder] 파일이 아니라 폴더입니다
        [not-a-folder] 경로 중간에 폴더가 아닌 파일이 있습니다
        [not-empty] 폴더가 비어 있지 않습니다
        [invalid-data] 내용이 올바르지 않습니다({ $text })
        [timed-out] 응답이 없어 시간이 초과되었습니다(네트워크 드라이브가 느리거나 연결이 끊겼을 수 있습니다)
        [interrupted] 작업이 중간에 끊겼습니다
        [unexpected-eof] 파일이 중간에 끝납니다(복사하다가 잘렸을 수 있습니다)
        [disconnected] 드라이브 연결이 끊겼습니다
       *[other] { $text }
    }
write-parent-is-file = { $dir }은(는) 폴더가 아니라 파일입니다
write-folder-in-the-way = 같은 이름의 폴더가 있어 파일을 쓸 수 없습니다

outline-empty = { $path }: 개요에 그림이 하나도 없습니다
    .hint = { $format ->
        [markdown] 그림마다 제목(## 설명)이나 "그림:" 또는 "Figure:"로 시작하는 줄을 하나씩 써 주세요
        [text] 한 줄에 설명을 하나씩 써 주세요(#으로 시작하는 줄은 메모로 보고 건너뜁니다)
       *[csv] 머리글 줄 아래에 그림마다 한 줄씩, caption 열에 설명을 넣어 주세요
    }
outline-empty-caption = { $path } { $line }번째 줄: { $place ->
        [text-line] 이 줄에
        [csv-row] 이 행에
        [heading] 이 제목에
       *[figure-line] 이 그림 줄에
    } 설명이 없습니다
    .hint = { $place ->
        [text-line] {"{"}…{"}"} 설정 앞에 설명을 써 주세요
        [csv-row] caption 칸에 설명을 넣거나 이 행을 지워 주세요
        [heading] # 뒤에 설명을 쓰거나 빈 제목을 지워 주세요
       *[figure-line] "그림:" 또는 "Figure:" 뒤에 설명을 써 주세요
    }
outline-unknown-style = { $path } { $line }번째 줄: 화풍 "{ $style }"을(를) 쓸 수 없습니다: { $reason }

# 모델에 맞춰 본 요청.
request-not-multiple = { $side } { $value }은(는) 이 모델에서 { $multiple }의 배수가 아닙니다. { $lower }이나 { $upper }(으)로 해 보세요
request-guidance = 충실도 { $value }은(는) 0에서 { $max } 사이여야 합니다
request-strength = 바꾸는 정도 { $value }은(는) 0보다 크고 1 이하여야 합니다
    .hint = diffusers 형식의 모델(폴더나 Hugging Face 저장소)과 함께 --lora를 쓰거나, --lora를 빼 주세요
request-picture-size = { $part ->
        [picture] 시작 그림
       *[mask] 마스크
    }의 크기는 { $size }인데 요청한 크기는 { $request }입니다
    .hint = 먼저 그림 크기에 맞게 줄이거나 늘려 주세요
request-internal = 요청을 처리할 수 없습니다: { $detail }
pipeline-compute = 계산하다가 실패했습니다: { $detail }
    .hint = 컴퓨터 메모리가 부족할 수 있습니다. 다른 프로그램을 닫거나 --size를 더 작게, 또는 --dtype f32로 해 보세요. 계속 실패하면 모델 파일이 손상되었을 수 있습니다
pipeline-stopped = 그림을 다 만들기 전에 멈췄습니다

# 텍스트 인코더(문장을 그림 모델이 읽는 숫자로 바꾸는 부분)와 토크나이저.
text-missing-tokenizer-file = { $path }이(가) 없습니다
    .hint = 토크나이저 폴더에는 vocab.json과 merges.txt(또는 tokenizer.json)가 있어야 합니다. 모델을 다시 내려받거나 --model로 빠진 파일이 없는 폴더를 지정해 주세요
text-bad-tokenizer-file = { $path }은(는) 쓸 수 있는 CLIP 토크나이저 파일이 아닙니다: { $detail }
    .hint = 파일이 손상되었거나 다른 종류의 모델 파일입니다. 모델을 다시 내려받아 주세요
text-tokenize = "{ $start }"(으)로 시작하는 프롬프트를 토큰으로 나눌 수 없습니다: { $detail }
text-missing-weights = { $dir } 폴더에 model.safetensors가 없습니다
    .hint = reportfig는 텍스트 인코더 가중치를 safetensors 형식으로만 읽습니다(pytorch_model.bin은 읽지 않습니다). 모델의 safetensors 파일을 내려받아 주세요
text-weights = 텍스트 인코더 가중치 { $path }을(를) 불러올 수 없습니다: { $detail }
    .hint = 이 파일이 { $config }와 맞지 않습니다. 덜 받아졌거나 폴더에 두 모델의 파일이 섞였을 수 있습니다
text-missing-component = { $dir }에 { $what ->
        [encoder] 텍스트 인코더가
       *[set] 쓸 수 있는 텍스트 인코더 조합이
    } 없습니다
    .hint = { $what ->
        [encoder] model_index.json에 text_encoder도 text_encoder_2도 없습니다. reportfig에는 텍스트 인코더가 함께 있는 Stable Diffusion 모델이 필요합니다
       *[set] SD 1.x/2.x는 텍스트 인코더가 정확히 하나, SDXL은 프로젝션이 있는 것(text_encoder_2의 CLIPTextModelWithProjection)이 필요합니다
    }
text-model = 텍스트 인코더가 실패했습니다: { $detail }

# 초안용 작은 디코더(diffusers AutoencoderTiny, madebyollin/taesd 같은 것).
tiny-decoder-no-weights = { $dir } 폴더에 diffusion_pytorch_model.safetensors가 없습니다
    .hint = 작은 디코더 폴더에는 diffusers AutoencoderTiny의 config.json과 diffusion_pytorch_model.safetensors가 있어야 합니다(madebyollin/taesd처럼)
tiny-decoder-file = 작은 디코더 파일 { $path }을(를) 읽을 수 없습니다: { $detail }
    .hint = 파일이 손상되었거나 덜 복사·내려받기 되었습니다. 작은 디코더를 다시 복사하거나 내려받아 주세요
tiny-decoder-unsupported = { $path }의 `{ $field }` 값 { $value }은(는) reportfig가 쓸 수 없는 값입니다
    .hint = { $field ->
        [act_fn] relu, silu/swish, gelu만 쓸 수 있습니다
        [upsample_fn] nearest 방식 확대만 쓸 수 있습니다
        [num_decoder_blocks] decoder_block_out_channels와 길이가 같고 비어 있지 않아야 합니다
        [decoder_block_out_channels] 너비가 모두 같고 1~1024 사이여야 하며, 블록 수는 64 이하여야 합니다
        [scaling_factor] 0보다 큰 숫자여야 합니다
       *[other] 쓸 수 있는 범위를 벗어났습니다. AutoencoderTiny의 config.json이 맞는지 확인해 주세요
    }
tiny-decoder-weights = { $path }의 작은 디코더 가중치가 config.json과 맞지 않습니다({ $detail })
    .hint = 가중치와 config.json이 서로 다른 모델의 것으로 보입니다. 작은 디코더를 다시 내려받아 주세요

# 모델의 scheduler_config.json(샘플러 설정).
scheduler-parse = { $path }은(는) 올바른 scheduler_config.json이 아닙니다: { $detail }
    .hint = 파일이 손상되었습니다. 모델을 다시 내려받아 주세요
scheduler-unsupported = scheduler_config.json의 `{ $field }` = { $value }은(는) 쓸 수 없는 설정입니다: { $detail }
scheduler-steps = 이 샘플러로는 { $steps }단계로 그릴 수 없습니다: { $detail }
scheduler-schedule = 샘플러의 단계 계획을 만들 수 없습니다: { $detail }

# 번역 모델의 파일.
translator-weights = 번역 모델 가중치 { $path }이(가) config.json과 맞지 않습니다: { $detail }
    .hint = 둘이 같은 모델의 것인지, 끝까지 내려받았는지 확인해 주세요
translator-compute = 번역하다가 실패했습니다: { $detail }
translator-file-unreadable = { $path }을(를) 읽을 수 없습니다: { $reason }
    .hint = 번역 모델 폴더에 빠진 파일이 없는지 확인해 주세요
translator-bad-spm = { $path }은(는) SentencePiece 모델이 아닙니다: { $detail }
    .hint = source.spm과 target.spm은 번역 모델 저장소의 파일이어야 합니다. 번역 모델을 다시 내려받아 주세요
translator-unsupported-spm = { $path }은(는) reportfig가 읽을 수 없는 SentencePiece 모델입니다: { $detail }
    .hint = Helsinki-NLP의 Marian 번역 모델(opus-mt-*)은 unigram 모델을 쓰며, 이것은 읽을 수 있습니다
translator-bad-json = { $path }에 { $what }에 있어야 할 내용이 없습니다: { $detail }
    .hint = 번역 모델을 다시 내려받아 주세요
translator-missing-special = { $path }에 번역 모델에 필요한 특수 토큰 "{ $token }"이(가) 없습니다
    .hint = vocab.json에 `</s>`, `<unk>`, `<pad>`의 번호가 있어야 합니다
pickle-refused = { $path }은(는) PyTorch 가중치 파일에는 있을 수 없는 `{ $what }`을(를) 가리킵니다. 아무것도 실행하지 않고 거부했습니다
    .hint = 악성 파일일 수 있습니다. 저장소의 model.safetensors를 대신 쓰세요
pickle-malformed = { $path }은(는) PyTorch 체크포인트가 아닙니다: { $detail }
pickle-write = { $path }: 변환한 가중치를 { $out }에 쓸 수 없습니다: { $detail }

family-unknown = `{ $name }`(이)라는 모델 계열은 없습니다. sd15, sd21, sdxl, sd-turbo, sdxl-turbo 중 하나를 쓰세요
isa-unknown = "{ $name }"(이)라는 명령어 집합은 없습니다. avx512, avx2, portable 중에서 고르세요
isa-unsupported = 이 CPU는 { $isa } 커널을 돌릴 수 없습니다({ $needs } 필요). 이 CPU가 지원하는 것: { $supported }

# 용어집 파일(--glossary, 또는 사용자 설정 폴더의 glossary.toml).
glossary-unreadable = 용어집 { $path }을(를) 읽을 수 없습니다: { $reason }
    .hint = --glossary로 지정한 경로를 확인해 주세요
glossary-bad = { $path } { $line }번째 줄: { $problem ->
        [no-korean] 용어 "{ $term }"에 한글이 없습니다. 왼쪽에는 설명에서 찾을 한국어 낱말을 씁니다
        [no-english] 용어 "{ $term }"에 영어가 없습니다
        [still-korean] "{ $term }"의 영어 "{ $english }"에 아직 한글이 있습니다. 그림 모델은 영어만 읽습니다
       *[toml] 용어집 형식이 아닙니다({ $detail })
    }
    .hint = 용어집의 [terms] 아래에 한 줄에 하나씩 "포항시" = "Pohang City"처럼(양쪽 모두 따옴표 안에) 써 주세요

# 폴더에 이미 있는 그림을 다시 만드는 이유와 바뀐 설정.
unusable-changed-since-recorded = 목록(manifest.json)에 적힌 것과 내용이 다릅니다
unusable-damaged = 그림 파일이 손상되었습니다({ $detail })
unusable-untitled-missing = 제목 없는 원본 그림 { $file }이(가) 없습니다
unusable-no-title = 개요의 제목이 들어 있지 않습니다
request-field = { $field ->
        [caption] 설명
        [style] 화풍
        [prompt] 프롬프트
        [negative-prompt] 제외할 내용
        [size] 크기
        [steps] 단계 수
        [guidance] 충실도
        [seed] 시드
        [sampler] 샘플러
        [lora] LoRA
        [decoder] 디코더
        [starting-picture] 시작 그림
       *[model] 모델
    }
list-more = { $first }, { $rest }

# reportfig가 쓰거나 읽는 그림 파일.
output-is-folder = { $path }은(는) 파일이 아니라 폴더입니다
    .hint = -o로 { $example }처럼 파일 이름을 정해 주세요
output-missing-folder = { $dir } 폴더가 없습니다
    .hint = 폴더를 먼저 만들거나 -o로 다른 곳을 정해 주세요
output-parent-not-folder = { $dir }은(는) 폴더가 아니라 파일이어서 그 안에 저장할 수 없습니다
    .hint = -o로 다른 곳을 정해 주세요
output-unwritable-folder = { $dir } 폴더에 쓸 수 없습니다: { $reason }
    .hint = 이 폴더에 쓸 권한이 있는지 확인하거나 -o로 다른 폴더를 정해 주세요
output-write = { $path }을(를) 쓰지 못했습니다: { $reason }. 이전 파일이 있었다면 그대로 남아 있습니다
output-encode = 그림을 PNG로 저장할 수 없습니다: { $detail }
output-empty-image = 그림이 비어 있어({ $width }x{ $height }) 저장할 것이 없습니다
output-read = { $path }을(를) 읽을 수 없습니다: { $reason }
output-unreadable-png = { $path }은(는) 읽을 수 있는 PNG 파일이 아닙니다({ $detail })
    .hint = 그림을 다시 만들거나 지워 주세요
output-bad-metadata = { $path }에 담긴 reportfig 정보가 손상되었습니다({ $detail })
    .hint = 그림을 다시 만들거나 지워 주세요
output-newer-format = { $path }은(는) 더 새 reportfig로 만든 파일입니다(정보 형식 { $found }, 이 버전은 { $supported }까지 읽음)
    .hint = reportfig를 새 버전으로 바꿔 주세요
internal-error = 프로그램 내부 오류: { $detail }

# 개요 한 줄의 {…} 설정이나 file= 이름.
outline-bad-settings = { $path } { $line }번째 줄: 설정 { $block }을(를) 읽을 수 없습니다: { $problem ->
        [not-closed] 줄 끝에 {"}"}로 닫혀 있지 않습니다(설정은 줄의 맨 끝에 씁니다)
        [two-blocks] 한 줄에는 설정을 줄 끝에 하나만 씁니다. 모든 설정을 그 하나에 넣어 주세요
        [twice] "{ $key }"이(가) 두 번 나옵니다
        [no-value] "{ $key }"에 값이 없습니다({ $key }=…처럼 써 주세요)
        [quote-not-closed] "{ $key }"의 따옴표가 닫히지 않았습니다
       *[empty-value] "{ $key }"의 값이 비어 있습니다
    }
    .hint = {"{"}style=isometric-city seed=7 negative="text, watermark"{"}"}처럼 써 주세요
outline-bad-file-name = { $path } { $line }번째 줄: 파일 이름 "{ $value }"{ $problem ->
        [empty] 이(가) 비어 있습니다
        [folder] 에는 폴더나 드라이브를 넣을 수 없고, 점(.)으로 시작할 수도 없습니다
        [characters] 에 파일 이름에 쓸 수 없는 글자가 있습니다
        [device] 은(는) Windows가 장치 이름으로 쓰는 이름입니다(CON, PRN, AUX, NUL, COM1, LPT1 등)
       *[not-png] 은(는) .png로 끝나야 합니다
    }
    .hint = bus-lanes.png처럼 폴더 없는 이름을 써 주세요. 그림 폴더 안에 저장됩니다
outline-csv-cells = 이 줄의 칸은 { $cells }개인데 머리글의 칸은 { $header }개입니다

# 쓸 수 없는 확대 모델(--upscaler 폴더): upscaler-unusable의 이유 부분.
upscaler-file = { $path }을(를) 읽을 수 없습니다({ $detail }). 파일을 고치거나 지워 주세요
upscaler-bad-config = { $path }의 `{ $field }` 값 { $value }은(는) { $min }에서 { $max } 사이여야 합니다
upscaler-weights = { $path }의 가중치가 특징 { $features }개, 합성곱 { $convolutions }개인 SRVGGNetCompact와 맞지 않습니다({ $detail }). 맞는 config.json을 함께 두어 주세요
upscaler-run = 확대하다가 실패했습니다: { $detail }
upscaler-several-pth = { $dir } 폴더에 .pth 파일이 { $count }개 있습니다. 쓸 확대 모델 하나만 남겨 주세요
upscaler-not-compact = { $path }은(는) Real-ESRGAN 소형(SRVGGNetCompact) 모델 파일이 아닙니다({ $detail }). 배포된 realesr-general-x4v3.pth를 써 주세요
