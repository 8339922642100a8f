# 오류: 무엇이 잘못되었는지(값과 함께), 그리고 .hint에 고치는 방법.

file-exists = { $path } 파일이 이미 있습니다
    .hint = 바꿔 쓰려면 --force를 붙이고, 아니면 -o로 다른 이름을 정해 주세요
file-cannot-read = { $path }을(를) 읽을 수 없습니다: { $reason }
folder-cannot-create = { $path } 폴더를 만들 수 없습니다: { $reason }
caption-empty = 설명 문구가 비어 있습니다
    .hint = 그림에 담을 내용을 적어 주세요. 예: "Smart traffic signals at a busy city intersection"
steps-zero = 단계 수(--steps)는 1 이상이어야 합니다
steps-too-many = 단계 수 --steps { $steps }은(는) 모델이 학습한 1000보다 많습니다. 보통 20~50이면 충분합니다
guidance-negative = 충실도 --guidance { $guidance }는 0 이상이어야 합니다 (보통 7.5, 터보 모델은 0)
guidance-too-high = 충실도 --guidance { $guidance }은(는) { $max }보다 커서 그림이 빈 화면이 됩니다 (보통 7.5, 터보 모델은 0)
exact-ratio-needs-size = --exact-ratio를 쓰려면 용지 크기가 필요합니다 (--size a4-portrait처럼 지정하거나, 크기가 정해진 화풍을 쓰세요)
output-parent-is-file = { $path }에 저장할 수 없습니다: { $folder }은(는) 폴더가 아니라 파일입니다
    .hint = -o로 다른 곳을 정해 주세요
output-folder-missing = { $path }에 저장할 수 없습니다: { $folder } 폴더가 없습니다
    .hint = 폴더를 먼저 만들거나, -o로 다른 파일을 정해 주세요
output-not-png = -o { $path }: reportfig는 PNG 그림만 저장합니다 (.{ $ext } 아님)
    .hint = -o { $png }로 지정하세요 (한글, 워드, 파워포인트, 웹 페이지 모두 PNG를 넣을 수 있습니다)
arg-bad-seed = 시드는 0 이상의 정수입니다. 예: --seed 42 (시드는 그림의 출발점이 되는 번호이며, 빼면 임의로 정합니다)
arg-bad-steps = 단계 수는 정수입니다. 예: --steps 4 (단계는 그림을 다듬는 횟수; 터보 모델 1~4, 그 밖의 모델 20~50)
sampler-unknown = "{ $name }"(이)라는 샘플러는 없습니다. 다음 중 하나를 고르세요: { $samplers } (샘플러는 그림을 다듬어 가는 방식입니다)
arg-bad-dpi = 해상도(dpi)는 50~1200 사이의 정수입니다. 예: --dpi 300 (인쇄용), --dpi 150 (발표 자료용)
upscaler-no-weights = { $dir } 폴더에 model.safetensors 파일도 .pth 파일도 없습니다. 확대 모델 폴더에는 Real-ESRGAN 소형 모델의 가중치(배포된 realesr-general-x4v3.pth 또는 model.safetensors)가 있어야 합니다. 올바른 폴더를 지정하거나, --upscaler realesr-general-x4v3을 쓰거나, --upscaler를 빼면 일반 Lanczos 방식으로 확대합니다
upscaler-unknown = "{ $name }"라는 확대 모델이 없고, 그런 이름의 폴더나 .pth 파일도 없습니다
    .hint = 쓸 수 있는 이름은 { $presets }입니다. 또는 realesr-general-x4v3.pth(또는 model.safetensors)가 든 폴더나 .pth 파일을 직접 지정해 주세요
upscaler-preset-unavailable = 확대 모델 { $name }이(가) 이 컴퓨터에 없고 내려받을 수도 없었습니다
    .hint = { $url }에서 내려받은 { $file }을(를) 그대로(변환 없이) { $folder } 폴더에 넣거나, 인터넷이 되는 곳에서 "reportfig models fetch { $name }"을 실행해 주세요. --upscaler를 빼면 --print는 일반 Lanczos 방식으로 확대합니다
upscaler-unusable = { $dir }의 확대 모델을 쓸 수 없습니다: { $reason }
arg-bad-guidance = 충실도는 숫자입니다. 예: --guidance 7.5 (터보 모델은 0)

style-not-found = `{ $name }`(이)라는 화풍이 없습니다. `reportfig styles list`로 전체 목록을 볼 수 있습니다
style-not-found-near = `{ $name }`(이)라는 화풍이 없습니다 (혹시 { $near }?). `reportfig styles list`로 전체 목록을 볼 수 있습니다
style-ambiguous = `{ $name }`에 해당하는 화풍이 여러 개입니다: { $candidates }. 이 중 하나의 이름을 적어 주세요
style-empty-stack = `{ $spec }`에는 화풍 이름이 없습니다. 이름 하나를 적거나, flat-vector-infographic+night-city처럼 `+`로 이어 적어 주세요
style-read-dir = 화풍 폴더 { $path }을(를) 읽을 수 없습니다: { $reason }. --styles-dir에 적은 경로를 확인해 주세요
styles-show-unknown-model = `styles show`에 쓸 수 없는 모델 "{ $model }"입니다
    .hint = 미리 정한 모델({ $presets })이나 모델 종류(sd15, sd21, sdxl, sd-turbo, sdxl-turbo)를 적어 주세요
import-no-config-folder = 이 컴퓨터에서는 사용자 설정 폴더를 찾을 수 없습니다
    .hint = --out 폴더를 지정해 주세요

translate-caption-too-long = 설명이 번역 모델이 다룰 수 있는 길이(최대 { $max }토큰)보다 깁니다: "{ $caption }"
    .hint = 설명을 줄이거나, 영어를 직접 적어 주세요 (개요에 {"{"}en="..."{"}"}, CSV에 en 열, 또는 --no-translate)
translator-unusable = 한국어 설명은 번역 모델 { $name }(으)로 영어로 옮기는데, 지금은 이 번역 모델을 쓸 수 없습니다

device-cuda-unavailable = --device cuda를 쓸 수 없습니다: { $reason }
    .hint = 이 reportfig는 CUDA 없이 빌드되었거나(cargo build --release --features cuda), NVIDIA 그래픽 카드가 없습니다. --device cpu를 쓰세요
device-metal-unavailable = --device metal을 쓸 수 없습니다: { $reason }
    .hint = Mac에서 --features metal로 빌드하거나, --device cpu를 쓰세요
isa-env-invalid = REPORTFIG_ISA 값을 쓸 수 없습니다: { $reason }
    .hint = REPORTFIG_ISA를 지우면 이 CPU가 돌릴 수 있는 가장 넓은 커널을 씁니다
fetch-offline-env = { $name }을(를) 내려받을 수 없습니다: HF_HUB_OFFLINE 설정이 내려받기를 막고 있습니다
    .hint = 인터넷이 되는 컴퓨터에서 `HF_HUB_OFFLINE= reportfig models fetch { $name }`을 실행하세요
fetch-failed = { $name }을(를) 내려받지 못했습니다

batch-markdown-needs-md = { $path }: --markdown은 Markdown 개요(.md)에만 쓸 수 있는데, 이 파일은 { $format } 개요입니다
    .hint = --markdown을 빼세요. 그림 목록 페이지 index.html에서 그림과 설명을 볼 수 있습니다
batch-dry-run-not-in-cache = 미리보기(--dry-run)는 모델을 내려받지 않는데, { $name }이(가) 내려받은 모델 중에 없습니다: { $reason }
    .hint = 먼저 `reportfig models fetch { $name }`을 실행하거나, --model sd-turbo처럼 미리 정한 모델로 계획을 보세요

compare-vary-bad = --vary { $spec }: { $problem }
    .hint = --vary 이름=값1,값2 형식으로 적어 주세요. 이름은 steps, guidance, sampler, strength(--init-image와 함께), model 중 하나입니다. 예: --vary steps=1,2,4 또는 --vary sampler=euler,dpmpp-2m
compare-caption-empty = 비어 있는 설명 문구가 있습니다
    .hint = 그림에 담을 내용을 적어 주세요. 예: reportfig compare "Senior welfare centre opening" --styles flat-vector,paper-cut
compare-no-seeds = --seeds에는 시드가 하나 이상 있어야 합니다. 예: --seeds 1,2
compare-vary-twice = --vary { $axis }이(가) 두 번 나왔습니다
    .hint = 값을 모두 --vary 하나에 적어 주세요. 예: --vary steps=1,2,4
compare-too-many = 비교표가 { $rows }줄 { $columns }칸(그림 { $images }장)입니다. 한 장에는 400장까지 들어갑니다
    .hint = 화풍, 시드, 값의 수를 줄여서 비교해 주세요
compare-cell-error = { $row }행 { $column }열: { $text }
compare-file-exists = { $path } 파일이 이미 있습니다
    .hint = 비교표와 낱장 그림을 바꿔 쓰려면 --force를 붙이고, 아니면 -o로 다른 이름을 정해 주세요

usage-unknown-argument = '{ $arg }'은(는) 알 수 없는 인수입니다
usage-invalid-value = '{ $arg }'에 쓸 수 없는 값 '{ $value }'입니다
usage-invalid-value-choices = '{ $arg }'에 쓸 수 없는 값 '{ $value }'입니다. 쓸 수 있는 값: { $choices }
usage-missing = 꼭 필요한 인수가 빠졌습니다: { $args }
usage-unknown-command = '{ $command }'(이)라는 명령은 없습니다
usage-conflict = '{ $arg }'와(과) '{ $other }'는 함께 쓸 수 없습니다
usage-given-twice = '{ $arg }'은(는) 한 번만 쓸 수 있습니다
usage-value-required = '{ $arg }' 뒤에 값을 써 주세요 (값이 빠졌습니다)
usage-more-help = 자세한 설명은 '--help'로 볼 수 있습니다.
usage-split-caption = 설명 "{ $first } …"이(가) 띄어쓰기마다 따로따로 읽혔습니다. 설명 전체를 "…"로 감싸 주세요
    .hint = { $command }

word-width = 가로
word-height = 세로
size-unknown = `{ $given }`(이)라는 그림 크기는 없습니다. a4-portrait, a4-landscape, slide-16x9, square, banner, icon 중 하나나, 768x512처럼 가로x세로 픽셀 수를 적어 주세요
size-unknown-near = `{ $given }`(이)라는 그림 크기는 없습니다 (혹시 `{ $near }`?). a4-portrait, a4-landscape, slide-16x9, square, banner, icon 중 하나나, 768x512처럼 가로x세로 픽셀 수를 적어 주세요
size-not-multiple-of-8 = { $side } { $value }은(는) 8의 배수가 아닙니다. { $lower }이나 { $upper }(으)로 해 보세요
size-too-small = { $side }는 64픽셀 이상이어야 합니다({ $value }은(는) 너무 작음). 512를 권합니다
size-too-large = { $side } { $value }은(는) { $max }픽셀보다 큽니다. 이렇게 크면 모델이 같은 대상을 여러 번 그립니다. 모델의 기본 크기로 만든 뒤 키우세요
model-empty = 모델(--model)이 비어 있습니다
    .hint = 미리 정한 모델({ $presets }), stabilityai/sd-turbo 같은 Hugging Face 저장소 아이디, 또는 폴더 경로를 적어 주세요
model-unknown = "{ $name }"(이)라는 모델을 찾을 수 없습니다: 미리 정한 모델도, Hugging Face 저장소 아이디도, 폴더도 아닙니다
    .hint =
        --model에는 다음 세 가지 중 하나를 적습니다:
          미리 정한 모델: { $presets }
          diffusers 형식의 Hugging Face 저장소: 조직/이름 또는 조직/이름@버전
          diffusers 형식의 내 컴퓨터 폴더: ./my-model, /data/models/sd15 또는 ~/models/sd15
model-folder-not-found = 모델 폴더 { $path }이(가) 없습니다
    .hint = 경로를 확인하거나, 미리 정한 모델({ $presets })이나 Hugging Face 저장소 아이디를 적어 주세요
model-not-in-cache = 인터넷 없이 실행 중인데, { $repo }@{ $revision } 모델을 내려받지 않았거나 덜 받았습니다 (내려받은 파일 보관 폴더 { $cache }에 { $file }이(가) 없음)
    .hint = 인터넷이 되는 컴퓨터에서 `reportfig models export { $fetch } E:\reportfig-models`를 실행해 모델 묶음{ $size ->
        [unknown] {""}
       *[other] (약 { $size })
    }을 만들고, 그 폴더를 이 컴퓨터로 가져와 `reportfig models import E:\reportfig-models`를 실행하세요. 또는 --offline 없이(HF_HUB_OFFLINE도 비우고) 실행하세요
model-repo-not-found = Hugging Face 저장소 { $repo }에 "{ $revision }" 버전이 없거나, 저장소가 없거나 비공개입니다
    .hint = { $token ->
        [sent] huggingface.co에서 철자를 확인하세요. HF_TOKEN의 접근 토큰을 보냈으니, 그 계정이 이 저장소를 볼 수 있는지, 토큰이 만료되지 않았는지 확인하세요
       *[none] huggingface.co에서 철자를 확인하세요. 비공개 또는 승인이 필요한 저장소라면 HF_TOKEN에 접근 토큰을 넣으세요
    }
network-name-not-found = 서버 주소를 찾지 못했습니다 ({ $detail })
network-no-connection = 서버가 응답하지 않거나 연결을 거부했습니다 ({ $detail })
network-proxy = 프록시 서버에 연결하지 못했거나 프록시가 로그인을 요구합니다 ({ $detail })
network-interrupted = 받는 도중 연결이 끊겼습니다 ({ $detail })
network-other = { $detail }
hub-request-connection = 모델 저장소 정보
hub-request-file-list = 파일 목록
hub-request-revision-ref = 버전(revision) 정보
hub-request-file = { $file }
model-network = { $what }을(를) 받으려 했지만 Hugging Face 서버 { $endpoint }에 연결하지 못했습니다: { $detail }
    .hint = 인터넷 연결을 확인하세요 (프록시를 쓰는 망이면 HTTPS_PROXY, 예: HTTPS_PROXY=http://proxy.example:8080; 미러 서버는 HF_ENDPOINT). 인터넷이 안 되는 컴퓨터라면, 인터넷이 되는 컴퓨터에서 `reportfig models export 모델이름 E:\reportfig-models`로 묶음을 만들고 이 컴퓨터에서 `reportfig models import E:\reportfig-models`로 설치한 뒤 --offline으로 실행하세요
model-fetch-offline = --offline: `models fetch`는 인터넷이 필요합니다
    .hint = --offline 없이, HF_HUB_OFFLINE도 비우고 실행하세요

outline-unreadable = 보고서 개요 { $path }을(를) 읽을 수 없습니다: { $reason }
    .hint = 경로가 맞는지, 파일이 있고 열 수 있는지 확인해 주세요
outline-not-utf8 = { $path } { $line }번째 줄: 개요 파일이 UTF-8 글자 형식이 아닙니다
    .hint = UTF-8로 저장해 주세요 (엑셀: "CSV UTF-8", 메모장: 인코딩 "UTF-8")
outline-caption-too-long = { $path } { $line }번째 줄: 설명이 { $chars }자로, 한도 { $max }자를 넘습니다: "{ $start }…"
    .hint = 한 문장으로 줄이고, 긴 내용은 보고서 본문에 써 주세요
outline-bad-english = { $path } { $line }번째 줄: en="{ $value }"은(는) 영어 설명이 아닙니다
    .hint = en=에는 번역 대신 모델이 읽을 영어를 적습니다. 예: {"{"}en="Bus stop in front of Pohang City Hall"{"}"}
outline-bad-seed = { $path } { $line }번째 줄: 시드 "{ $value }"은(는) 0부터 18446744073709551615까지의 정수가 아닙니다 (시드는 그림의 출발점이 되는 번호입니다)
    .hint = seed=7처럼 적어 주세요
outline-unknown-setting = { $path } { $line }번째 줄: {"{"}…{"}"} 안의 "{ $key }"은(는) 알 수 없는 설정입니다
    .hint = 쓸 수 있는 설정은 { $known }이며, {"{"}style=isometric-city seed=7{"}"}처럼 적습니다

outline-too-large = 보고서 개요 { $path }이(가) { $limit }MB보다 큽니다. 보고서 개요로는 지나치게 큰 파일입니다
    .hint = 의도한 개요 파일이 맞는지 확인해 주세요. 아주 긴 목록은 여러 개요로 나눠 주세요
outline-too-many-figures = { $path } { $line }번째 줄: 보고서 개요에 그림이 { $limit }개보다 많습니다. 보고서 하나에 필요한 것보다 지나치게 많습니다
    .hint = 의도한 개요 파일이 맞는지 확인해 주세요. 아주 긴 목록은 여러 개요로 나눠 주세요
outline-control-character = { $path } { $line }번째 줄: 눈에 보이지 않는 제어 문자({ $code })가 들어 있어 화면과 검토 페이지를 어지럽힐 수 있습니다
    .hint = 그 글자를 지우거나 줄을 다시 입력해 주세요 (다른 프로그램에서 복사해 올 때 흔히 섞여 들어옵니다)
batch-not-ours = { $path }은(는) reportfig가 만든 파일이 아니므로({ $reason ->
        [manifest] reportfig 목록 파일 형식이 아님
        [page] 옆에 reportfig의 manifest.json이 없음
       *[picture] reportfig 정보가 들어 있지 않음
    }) 일괄 작업이 덮어쓰지 않습니다
    .hint = 그 파일을 옮기거나 이름을 바꾸거나, --out으로 다른 폴더를 고르거나, 바꿔도 된다면 --force를 붙여 주세요
pipeline-not-finite = { $stage ->
        [text-encoder] 문장 해석 단계(텍스트 인코더)
        [unet] 그림 생성 단계({ $total }단계 중 { $step }단계)
       *[vae] 그림 완성 단계(VAE)
    }에서 숫자가 아닌 값(NaN 또는 무한대)이 나와, 그림이 빈 화면이 됩니다
    .hint = 모델 파일이 손상되었을 수 있습니다. 모델을 다시 내려받아 주세요. f16으로 실행 중이면 f32로 해 보세요
batch-out-not-folder = --out { $path }은(는) 폴더가 아니라 파일입니다
    .hint = 그림을 저장할 폴더를 적어 주세요(없으면 새로 만듭니다). --out을 빼면 개요 파일 옆의 figures 폴더에 저장합니다
style-import-bad-field = { $file }: { $entry }번째 스타일: `{ $field }`이(가) 글자가 아니라 { $found ->
        [number] 숫자
        [bool] 참/거짓 값
        [list] 목록
       *[object] 객체
    }입니다
    .hint = 큰따옴표로 감싸 주세요. 예: "{ $field }": "watercolor, { "{" }prompt{ "}" }"
scheduler-unknown-class = 모델의 scheduler_config.json에 적힌 스케줄러 "{ $class }"은(는) reportfig에 없습니다
    .hint = --sampler로 그림 그리는 방식(샘플러)을 골라 주세요: { $samplers }

fetch-offline-flag = --offline으로는 { $name }을(를) 내려받을 수 없습니다: 내려받으려면 인터넷이 필요합니다
    .hint = --offline 없이 실행하세요. 인터넷이 안 되는 컴퓨터로 모델을 옮기려면, 인터넷이 되는 컴퓨터에서 `reportfig models export { $name } E:\reportfig-models`를 실행하고, 이 컴퓨터에서 `reportfig models import E:\reportfig-models`를 실행하세요
export-failed = 모델 묶음 { $dir }을(를) 쓰지 못했습니다
import-failed = 모델 묶음 { $dir }을(를) 설치하지 못했습니다
export-local-folder = { $path }은(는) 이 컴퓨터의 폴더이고, 내려받은 모델이 아니므로 내보낼 것이 없습니다
    .hint = 폴더를 그대로 다른 컴퓨터에 복사해 --model로 지정하세요. `models export`에는 미리 정한 모델 이름이나 Hugging Face 저장소 아이디를 씁니다
bundle-not-a-bundle = { $dir }은(는) 모델 묶음이 아닙니다: reportfig-bundle.json이 없습니다
    .hint = `reportfig models export`로 만든 폴더를 지정하세요. 내보내기가 중간에 끊겼다면 다시 실행하세요
bundle-not-empty = { $dir }에 다른 파일이 있고, 모델 묶음 폴더도 아닙니다
    .hint = 새 폴더나 빈 폴더로 내보내세요 (예전에 만든 묶음 폴더에는 더해서 쓸 수 있습니다)
bundle-bad-manifest = { $file }: { $detail }
    .hint = 묶음이 손상되었거나 reportfig가 만든 것이 아닙니다. 다시 내보내 주세요. 아무것도 설치하지 않았습니다
bundle-missing = 묶음에 { $file }이(가) 없습니다
    .hint = 묶음이 덜 복사되었습니다 (복사가 중간에 멈췄나요?). 폴더 전체를 다시 복사하거나 다시 내보내 주세요. 아무것도 설치하지 않았습니다
bundle-wrong-size = { $file }의 크기가 { $found }바이트인데, 묶음 목록에는 { $expected }바이트로 적혀 있습니다
    .hint = 파일이 잘렸거나 바뀌었습니다 (복사가 중간에 멈췄나요?). 묶음을 다시 복사하거나 다시 내보내 주세요. 아무것도 설치하지 않았습니다
bundle-wrong-hash = { $file }이(가) 묶음 목록의 검사값(SHA-256)과 맞지 않습니다
    .hint = 파일이 손상되었습니다. 묶음을 다시 복사하거나 다시 내보내 주세요. 아무것도 설치하지 않았습니다
export-needs-folder = `models export`에는 묶음에 넣을 모델과, 맨 끝에 묶음을 쓸 폴더가 필요합니다
    .hint = 예: reportfig models export sd-turbo E:\reportfig-models
outline-word-processor = { $path }은(는) { $kind } 문서입니다. 개요는 Markdown(.md), 텍스트(.txt), CSV 파일이어야 합니다
    .hint = 보고서의 제목들을 텍스트 파일로 저장해(워드나 한글에서 "다른 이름으로 저장", 형식 "텍스트" .txt) 그 파일을 지정하세요. 그림을 넣은 워드 문서를 만들려면 일괄 작업에 --docx 파일이름 을 붙이세요
batch-docx-not-ours = { $path }은(는) 일괄 작업이 쓴 뒤에 고쳐졌거나 일괄 작업이 쓴 문서가 아니므로, 덮어쓰지 않습니다
    .hint = 고친 문서는 다른 이름으로 저장하거나, --docx에 다른 파일 이름을 주세요. 덮어써도 된다면 --force를 붙이세요
# 단일 파일 체크포인트 (--model 파일.safetensors).
model-not-a-folder = { $path }은(는) 파일이지만 .safetensors 체크포인트가 아닙니다
    .hint = --model에 파일 하나를 줄 때는 .safetensors 체크포인트(SD 1.x, SD 2.x, SDXL 기본 모델)만 됩니다. .ckpt 파일은 믿을 수 있는 도구로 한 번 변환하거나, diffusers 형식의 폴더를 적어 주세요
model-config-not-a-folder = --model-config { $value }은(는) 파일입니다
    .hint = --model-config에는 체크포인트의 구조를 설명하는 설정이 든 diffusers 형식 폴더, 미리 정한 모델({ $presets }) 또는 Hugging Face 저장소 아이디를 적어 주세요
model-config-without-checkpoint = --model-config는 단일 파일 체크포인트에만 쓰는데, { $model }은(는) 체크포인트 파일이 아닙니다
    .hint = --model-config를 빼거나, --model에 .safetensors 체크포인트를 적어 주세요
checkpoint-unreadable = 체크포인트 { $path }을(를) 읽을 수 없습니다: { $reason }
    .hint = 경로와 파일을 읽을 권한이 있는지 확인해 주세요
checkpoint-truncated = 체크포인트 { $path }이(가) 중간에 끊겼습니다: 머리글로는 { $needed }바이트가 필요한데 파일은 { $len }바이트입니다
    .hint = 내려받기가 도중에 멈춘 것입니다. 파일을 다시 내려받아 주세요
checkpoint-not-safetensors = { $path }은(는) safetensors 파일이 아닙니다 ({ $detail })
    .hint = .safetensors 체크포인트만 읽습니다. .ckpt 파일은 믿을 수 있는 도구로 한 번 변환해 주세요
checkpoint-unknown-arch = 체크포인트 { $path }은(는) reportfig가 아는 구조(SD 1.x, SD 2.x, SDXL 기본 모델)가 아닙니다: { $problem ->
        [empty] 텐서가 하나도 없습니다
        [diffusers-network] 전체 체크포인트가 아니라 diffusers로 저장한 신경망 하나입니다
        [no-text-encoder] UNet은 있지만 텍스트 인코더가 없습니다
        [no-vae] VAE(first_stage_model.*)가 없습니다
        [lone-second-encoder] SDXL의 두 번째 텍스트 인코더만 있고 첫 번째가 없습니다
       *[no-unet] UNet(model.diffusion_model.*)이 없습니다
    }. 파일 안의 이름은 이렇게 시작합니다: { $keys }
    .hint = --model에 원래의 단일 파일 형식인 SD 1.x, SD 2.x, SDXL 기본 모델 체크포인트나 diffusers 형식의 폴더를 적어 주세요
checkpoint-unsupported = 체크포인트 { $path }은(는) { $what ->
        [inpainting] 그림 일부를 고치는 인페인팅 모델(입력 채널 9개)
       *[refiner] SDXL 리파이너
    }이라서, 여기서는 설명 문구로 그림을 만들 수 없습니다
    .hint = 설명 문구로 그림을 만드는 SD 1.x, SD 2.x, SDXL 기본 모델 체크포인트를 써 주세요
checkpoint-config-mismatch = 체크포인트 { $path }은(는) { $arch } 모델인데, { $config }의 설정은 { $kind }용입니다
    .hint = --model-config에 체크포인트와 같은 계열(sd15, sd21, sdxl)의 폴더나 미리 정한 모델을 적거나, 빼서 그 계열의 기본 설정을 쓰세요
checkpoint-missing-tensor = 체크포인트 { $path }에 { $component ->
        [unet] UNet(그림 생성 신경망)
        [vae] VAE(그림 완성 신경망)
        [text-encoder-2] 두 번째 텍스트 인코더
       *[text-encoder] 텍스트 인코더
    }에 필요한 텐서 { $key }이(가) 없습니다
    .hint = 파일이 덜 받아졌거나 설정과 다른 구조의 모델입니다. 다시 내려받거나, --model-config에 이 체크포인트를 만든 원래 모델의 폴더나 미리 정한 모델을 적어 주세요
checkpoint-shape-mismatch = 체크포인트 { $path }의 텐서 { $key }은(는) 모양이 { $got }인데, { $config }의 { $component ->
        [unet] UNet(그림 생성 신경망)
        [vae] VAE(그림 완성 신경망)
        [text-encoder-2] 두 번째 텍스트 인코더
       *[text-encoder] 텍스트 인코더
    } 설정에는 { $expected }이(가) 필요합니다
    .hint = 다른 구조의 모델로 만든 체크포인트입니다. --model-config에 이 체크포인트를 만든 원래 모델의 폴더나 미리 정한 모델을 적어 주세요
checkpoint-config-not-cached = 인터넷 없이 실행 중인데, 체크포인트 { $path }은(는) { $arch } 모델이고 그 계열의 미리 정한 모델 { $preset }({ $repo })의 설정 파일이 내려받은 파일 보관 폴더에 없습니다
    .hint = 한 번만 --offline 없이 실행하세요(설정과 토크나이저 파일만 10MB 이내로 내려받습니다). 또는 --model-config에 같은 계열의 diffusers 형식 폴더를 적어 주세요
lora-wrong-family = { $path }은(는) { $lora }용 LoRA인데, 지금 모델은 { $model }입니다
    .hint = { $model }용으로 만든 LoRA를 쓰거나, --model로 { $lora } 모델을 골라 주세요
lora-read = LoRA 파일 { $path }을(를) 읽을 수 없습니다: { $reason }
    .hint = 경로를 확인해 주세요. LoRA는 .safetensors 파일 하나입니다(내려받다 끊겼을 수 있으면 다시 내려받아 주세요)
lora-empty = { $path }에는 LoRA 값(lora_down/lora_up 또는 lora_A/lora_B)이 없습니다
    .hint = 모델 파일 전체나 임베딩(textual inversion)이 아니라 LoRA 파일인지 확인해 주세요
lora-unknown-keys = { $path }에 reportfig가 합칠 수 없는 항목이 { $count }개 있습니다(예: `{ $keys }`)
    .hint = reportfig는 kohya/A1111 형식(lora_unet_…, lora_te_…)과 diffusers/peft 형식(unet.….lora_A.weight)의 LoRA를 읽습니다. LoHa, LoKr, DoRA 파일은 지원하지 않습니다
lora-incomplete = { $path }: `{ $key }`의 LoRA 짝 중 한쪽만 있어 파일이 온전하지 않습니다
    .hint = 파일이 손상되었을 수 있습니다. 다시 내려받아 주세요
lora-bad-pair = { $path }: `{ $key }`의 down 값 { $down }과(와) up 값 { $up }이(가) LoRA 짝으로 맞지 않습니다
    .hint = 파일이 손상되었을 수 있습니다. 다시 내려받아 주세요
lora-unmatched = { $path }에 모델의 { $target ->
        [unet] 그림 생성망(UNet)
        [text-encoder] 문장 해석기(텍스트 인코더)
       *[text-encoder-2] 두 번째 문장 해석기(텍스트 인코더 2)
    }에 없는 부분이 { $count }개 있습니다(예: `{ $keys }`)
    .hint = 다른 모델용으로 만든 LoRA입니다. 이 모델 계열용으로 만든 LoRA를 써 주세요
lora-shape = { $path }: `{ $key }`이(가) 크기 { $model }인 값을 크기 { $lora }인 LoRA로 바꾸려 합니다
    .hint = 크기가 다른 모델용 LoRA입니다. 이 모델용으로 만든 LoRA를 써 주세요
lora-bad-metadata = { $path }: { $what }
    .hint = 파일 머리말이 reportfig가 합칠 수 있는 LoRA 형식이 아닙니다
lora-spec-empty = --lora 값이 비어 있습니다
    .hint = .safetensors 파일이나 Hugging Face 저장소 아이디를 적어 주세요. 세기도 붙일 수 있습니다: --lora 내스타일.safetensors:0.8
lora-spec-bad-weight = `{ $spec }`의 LoRA 세기 `{ $weight }`이(가) -{ $max }에서 { $max } 사이의 숫자가 아닙니다
    .hint = 파일또는저장소:세기 모양으로 적어 주세요(예: city.safetensors:0.8). 세기를 빼면 1.0입니다
lora-spec-not-found = LoRA 파일 { $path }이(가) 없습니다
    .hint = 경로를 확인하거나, latent-consistency/lcm-lora-sdv1-5 같은 Hugging Face 저장소 아이디를 적어 주세요
lora-spec-not-safetensors = { $path }은(는) .safetensors 파일이 아닙니다
    .hint = reportfig는 .safetensors 형식의 LoRA만 읽습니다
lora-spec-ambiguous = { $path } 폴더에 .safetensors 파일이 { $count }개 있어 어느 LoRA인지 알 수 없습니다
    .hint = 파일 이름까지 적어 주세요: --lora { $path }/파일이름.safetensors
lora-spec-hub-missing-file = Hugging Face 저장소 { $repo }에 { $file } 파일이 없습니다
    .hint = 저장소 안의 LoRA 파일 이름까지 적어 주세요: --lora { $repo }/파일이름.safetensors (저장소의 파일 목록에서 확인할 수 있습니다)

# 표지에 얹는 제목(--title)과 `reportfig retitle`.
title-empty = 제목이 비어 있습니다
    .hint = --title 뒤에 제목을 따옴표로 묶어 적어 주세요. 예: --title "2026년 교통 계획"
title-too-long = { $part ->
        [subtitle] 부제
       *[title] 제목
    } "{ $text }"이(가) 너무 길어, 가로 { $width }픽셀 그림에 가장 작은 글자 크기({ $px }픽셀)로도 { $lines }줄 안에 들어가지 않습니다
    .hint = 제목을 줄여 주세요(한 줄에 한글 약 { $chars }자가 들어갑니다). 자세한 내용은 --subtitle로 옮기거나, --size로 그림을 더 크게 할 수도 있습니다
title-missing-glyphs = 제목 글꼴({ $font })에 { $chars } 글자가 없어 쓸 수 없습니다
    .hint = 그 글자를 제목에서 빼거나, --title-font sans를 써 주세요(한글 음절을 모두 갖춘 고딕 글꼴입니다)
title-too-small = 그림({ $width }x{ $height })이 너무 작아 제목을 넣을 수 없습니다
    .hint = 제목을 넣으려면 그림이 가로세로 64픽셀 이상이어야 합니다. --size로 더 큰 크기를 골라 주세요
retitle-missing = { $path } 파일이 없습니다
    .hint = 제목이 들어간 그림(cover.png)이나 그 옆의 제목 없는 그림(cover.untitled.png)을 지정해 주세요
retitle-not-ours = { $path }은(는) reportfig로 만든 그림이 아니어서(reportfig 정보가 없습니다) 제목을 바꿀 수 없습니다
    .hint = retitle은 `reportfig generate`로 만든 그림에만 쓸 수 있습니다. 제목을 넣으려면 --title을 붙여 그림을 만들어 주세요
retitle-untitled-missing = { $path }에는 제목이 들어가 있지만, 제목 없는 원본 { $untitled }이(가) 없습니다
    .hint = 제목은 옆에 보관된 제목 없는 원본에서만 바꿀 수 있습니다. { $untitled }을(를) 제자리에 두거나, 같은 --seed로 그림을 다시 만들어 주세요
retitle-same-file = { $path }은(는) 제목 없는 원본 자체입니다. 제목을 넣은 그림은 다른 파일로 저장해야 합니다
    .hint = -o로 다른 이름을 정해 주세요
retitle-would-replace = { $path } 파일이 이미 있고, 이 그림에 제목을 넣은 파일이 아니어서 그대로 두었습니다
    .hint = -o로 다른 이름을 정하거나, 바꿔 쓰려면 --force를 붙여 주세요
batch-cover-no-heading = { $path }:{ $line }: {"{"}cover{"}"}는 이 그림을 표지로 만들고 개요의 첫 제목을 넣는 표시인데, 개요에 제목이 없습니다
    .hint = 개요 맨 앞에 "# 2026년 교통 계획" 같은 제목을 쓰거나, --title로 제목을 주거나, {"{"}cover{"}"}를 지워 주세요
retitle-other-folder = { $path }이(가) 제목 없는 원본 { $untitled }과(와) 같은 폴더에 있지 않습니다
    .hint = 제목을 다시 바꿀 수 있도록 제목 넣은 그림은 원본 옆에 둡니다. -o에는 같은 폴더 안의 이름을 주고, 다른 곳에는 나중에 복사해 주세요

shard-bad = --shard { $value }: { $problem }
    .hint = I/N 꼴로, 1 <= I <= N이 되게 적어 주세요. 예: --shard 1/4 … --shard 4/4. Slurm 배열 작업이나 Kubernetes Indexed Job에서는 --shard auto를 쓸 수 있습니다
shard-auto-bad = --shard { $value }: { $problem }
    .hint = --shard auto는 SLURM_ARRAY_TASK_ID(Slurm 배열 작업, sbatch --array=1-N)나 JOB_COMPLETION_INDEX(Kubernetes Indexed Job, completions가 N이면 --shard auto/N)를 읽습니다. 그 밖의 곳에서는 --shard I/N으로 적어 주세요
shard-not-two-numbers = 빗금(/)으로 나뉜 두 수가 필요합니다
shard-not-a-number = "{ $given }"은(는) 자연수가 아닙니다
shard-no-shards = 몫의 수는 1 이상이어야 합니다
shard-from-zero = 몫 번호는 0이 아니라 1부터 셉니다
shard-no-such = 몫이 { $count }개일 때 { $index }번째 몫은 없습니다
shard-no-scheduler = SLURM_ARRAY_TASK_ID(Slurm)도 JOB_COMPLETION_INDEX(Kubernetes)도 설정되어 있지 않습니다
shard-two-schedulers = SLURM_ARRAY_TASK_ID(Slurm)와 JOB_COMPLETION_INDEX(Kubernetes)가 둘 다 설정되어 있어 어느 몫인지 정할 수 없습니다
shard-slurm-incomplete = SLURM_ARRAY_TASK_ID는 있지만 SLURM_ARRAY_TASK_COUNT도, SLURM_ARRAY_TASK_MIN과 SLURM_ARRAY_TASK_MAX도 없습니다
shard-slurm-list = Slurm 배열이 범위가 아니라 목록이라서 이 작업의 순서를 알 수 없습니다
shard-kubernetes-count = JOB_COMPLETION_INDEX는 이 작업의 번호만 알려 주고 작업이 모두 몇 개인지는 알려 주지 않습니다
shard-bad-variable = { $variable }="{ $value }"은(는) 자연수가 아닙니다
shard-index-out-of-range = { $variable }={ $index }은(는) 작업 { $count }개 중 하나가 아닙니다
shard-count-disagrees = 명령에는 몫이 { $given }개인데 Slurm 배열의 작업은 { $scheduler }개입니다
tiny-decoder-needs-decoder-tiny = --tiny-decoder는 초안용 디코더를 정합니다. 초안을 만들려면 --decoder tiny를 함께 지정해 주세요
tiny-decoder-unknown = "{ $name }"이라는 작은 디코더도, 그런 이름의 폴더도 없습니다
    .hint = 고를 수 있는 이름은 { $presets }입니다 (--tiny-decoder를 빼면 모델에 맞는 것을 씁니다). 또는 diffusers AutoencoderTiny 형식의 폴더나 허브 저장소(org/name)를 지정해 주세요
draft-decoder-mismatch = 작은 디코더는 잠재 채널 { $decoder }개를 읽는데 이 모델은 { $model }개를 만듭니다
    .hint = 모델 계열에 맞는 작은 디코더를 쓰세요: SD 1.x/2.x는 madebyollin/taesd, SDXL은 madebyollin/taesdxl

# 사진에서 시작 (--init-image)
init-image-unreadable = 시작 그림 { $path }을(를) 읽을 수 없습니다: { $reason }
init-image-not-image = { $path }은(는) PNG나 JPEG 그림이 아닙니다 ({ $reason }). .png 또는 .jpg로 저장한 뒤 다시 해 주세요
init-image-too-small = 시작 그림 { $path }은(는) { $width }x{ $height }입니다. 가로세로 모두 { $min }픽셀 이상이어야 합니다
strength-out-of-range = 바꾸는 정도 --strength { $strength }는 0보다 크고 1 이하여야 합니다 (0.3은 사진을 대부분 살리고, 보통 0.6, 1은 배치만 참고합니다)
strength-leaves-no-step = 단계 수 { $steps }에 --strength { $strength }이면 실행할 단계가 없습니다. --strength를 { $least } 이상으로 올리거나 --steps를 늘려 주세요
strength-needs-init-image = --strength는 시작 그림이 있을 때만 쓰입니다. --init-image 파일을 함께 지정해 주세요

outline-image-absolute = { $path } { $line }번째 줄: 그림 "{ $value }"은(는) 전체 경로입니다
    .hint = 개요 파일이 있는 폴더를 기준으로 image=photos/harbour.jpg처럼 적고, 그림은 그 폴더 안에 두세요
outline-image-leaves-folder = { $path } { $line }번째 줄: 그림 "{ $value }"은(는) 개요 파일의 폴더 밖(..)을 가리킵니다
    .hint = 그림을 개요 파일의 폴더(또는 그 안의 폴더)에 넣고 image=photos/harbour.jpg처럼 적어 주세요
outline-image-is-folder = { $path } { $line }번째 줄: 그림 "{ $value }"은(는) 그림 파일이 아니라 폴더입니다
    .hint = image=photos/harbour.jpg처럼 그림 파일 이름까지 적어 주세요
outline-image-missing = { $path } { $line }번째 줄: 그림 "{ $value }"이(가) 없습니다
    .hint = 철자를 확인해 주세요. 경로는 개요 파일의 폴더를 기준으로 읽습니다 (예: image=photos/harbour.jpg)
outline-image-unreadable = { $path } { $line }번째 줄: 그림 "{ $value }"을(를) 읽을 수 없습니다
    .hint = 그림이 열리는지, 다른 프로그램이 잠그고 있지 않은지 확인해 주세요
outline-image-links-outside = { $path } { $line }번째 줄: 그림 "{ $value }"은(는) 개요 파일의 폴더 밖에 있는 파일을 가리키는 링크입니다
    .hint = 그림 파일 자체를 개요 파일의 폴더에 복사해 주세요
outline-bad-strength = { $path } { $line }번째 줄: 바꾸는 정도 strength "{ $value }"는 0보다 크고 1 이하인 숫자여야 합니다
    .hint = {"{"}image=photos/harbour.jpg strength=0.5{"}"}처럼 적어 주세요. 보통 0.6입니다
outline-image-in-upload = { $path } { $line }번째 줄: 그림 "{ $value }": 개요 파일만 올려서 이 시작 그림이 함께 오지 않았습니다
    .hint = 개요 파일과 그림들을 ZIP 파일 하나로 묶어 올리거나(경로는 image=에 적은 그대로), 그 그림 항목에서 image=(와 strength=)를 지워 주세요
outline-image-not-in-zip = { $path } { $line }번째 줄: 그림 "{ $value }"이(가) 올린 ZIP 파일 안, 개요 파일 옆에 없습니다
    .hint = 그림을 ZIP 안의 그 경로에 넣거나(image=photos/harbour.jpg는 개요 파일 옆의 photos 폴더) 이름을 바로잡아 주세요
outline-strength-without-image = { $path } { $line }번째 줄: strength=와 mask=는 시작 그림이 있을 때만 쓰입니다
    .hint = 같은 설정에 image=파일을 함께 적어 주세요. 예: {"{"}image=photos/harbour.jpg strength=0.5{"}"}
outline-bad-layout = { $path } { $line }번째 줄: 제목 위치 "{ $value }"는 top(위), bottom(아래), center(가운데), band(띠) 가운데 하나여야 합니다
    .hint = {"{"}cover layout=band{"}"}처럼 적어 주세요
outline-layout-without-cover = { $path } { $line }번째 줄: layout=은 표지 그림에만 쓰입니다
    .hint = 같은 설정에 cover를 함께 적어 주세요. 예: {"{"}cover layout=band{"}"}
mask-size-differs = 가림 그림 { $path }은(는) { $mask }인데 시작 그림은 { $picture }입니다. 두 그림의 크기가 같아야 합니다
    .hint = 시작 그림 위에 바로 칠해서(바꿀 곳은 흰색, 그대로 둘 곳은 검은색) 같은 크기로 저장해 주세요
inpainting-model-needs-mask = 이 모델은 부분 고쳐 그리기(인페인팅) 전용입니다. 시작 그림과 가림 그림이 필요합니다
    .hint = --init-image 파일과 --mask 파일을 함께 지정하거나, 설명 문구만으로 그릴 때는 일반 모델을 쓰세요
batch-bad-figure = { $path } { $line }번째 줄: { $text }
batch-markdown-needs-markdown = --markdown은 Markdown 개요(.md)에만 쓸 수 있는데, 이 개요는 { $format } 형식입니다
    .hint = --markdown을 빼 주세요. 검토 페이지 index.html에서 그림과 설명 문구를 볼 수 있습니다
batch-busy = 다른 일괄 작업이 지금 { $folder }에 그림을 만들고 있습니다
    .hint = 그 작업이 끝나면(또는 멈춘 뒤) 다시 실행해 주세요. 한 작업을 여러 프로세스나 PC에 나누려면 --shard를 쓰세요
output-folder-not-writable = { $path }에 저장할 수 없습니다: { $folder } 폴더에 새 파일을 만들 수 없습니다 ({ $reason })
    .hint = -o로 저장할 수 있는 폴더를 정하거나, 이 폴더의 쓰기 권한을 요청해 주세요
vary-problem-shape = 이름=값1,값2 형식이어야 합니다 (비교할 설정 이름, =, 쉼표로 나눈 값)
vary-problem-axis = "{ $name }"이라는 비교 항목은 없습니다. 고를 수 있는 항목은 { $axes }입니다
vary-problem-no-values = { $name }= 뒤에 값이 없습니다
vary-problem-steps = "{ $value }"은(는) 1부터 1000까지의 단계 수가 아닙니다
vary-problem-guidance = "{ $value }"은(는) 지침 강도 값이 아닙니다 (0 이상의 숫자; 보통 7.5, 터보 모델은 0)
vary-problem-strength = "{ $value }"은(는) 바꾸는 정도 값이 아닙니다 (0보다 크고 1 이하; 보통 0.6)
output-write-failed = { $folder } 폴더에 { $file }을(를) 끝까지 쓰지 못했습니다: { $why ->
        [full] 디스크가 가득 찼거나 파일 크기 제한에 걸렸습니다
        [gone] 폴더가 더 이상 없습니다(네트워크 드라이브나 USB 저장장치의 연결이 끊겼을 수 있습니다)
        [denied] 쓰기 권한이 없습니다
       *[other] { $detail }
    }
    .hint = 반쯤 쓰인 파일은 남지 않았고, 같은 이름의 이전 파일은 그대로입니다. 공간을 비우거나 드라이브를 다시 연결한 뒤 다시 실행하거나, -o로 다른 폴더를 정해 주세요
batch-write-failed = 일괄 작업을 멈췄습니다: { $folder } 폴더에 { $file }을(를) 쓰지 못했습니다: { $why ->
        [full] 디스크가 가득 찼거나 파일 크기 제한에 걸렸습니다
        [gone] 폴더가 더 이상 없습니다(네트워크 드라이브나 USB 저장장치의 연결이 끊겼을 수 있습니다)
        [denied] 쓰기 권한이 없습니다
       *[other] { $detail }
    }
    .hint = 이미 만든 그림과 목록(manifest.json)은 그대로 남아 있고, 다음 실행은 빠진 그림만 만듭니다. 공간을 비우거나 드라이브를 다시 연결하거나, --out으로 다른 폴더를 정해 주세요
config-too-large = { $path }은(는) { $what } 파일로 보기에 너무 큽니다({ $size }). 설정 파일은 보통 몇 KB입니다
    .hint = 모델의 원래 파일인지(다른 파일을 가리키는 링크가 아닌지) 확인하고, 모델이 손상되었다면 다시 내려받아 주세요

# 드물게 만나는 모델 출처, 설정 파일, 불러오기, 번역 모델 오류.
model-bad-repo-id = "{ $value }"은(는) 올바른 Hugging Face 저장소 아이디가 아닙니다: { $reason }
    .hint = 조직/이름 또는 조직/이름@버전 모양으로 적어 주세요. 예: stabilityai/sd-turbo@main
model-folder-missing-file = 모델 폴더 { $folder }에 { $file }이(가) 없습니다
    .hint = { model-layout-help }
model-layout-help = diffusers 형식의 모델 폴더에는 model_index.json, scheduler/scheduler_config.json, text_encoder/(config.json, model.safetensors), tokenizer/(tokenizer.json 또는 vocab.json + merges.txt + tokenizer_config.json), unet/과 vae/(config.json, diffusion_pytorch_model.safetensors)가 있어야 하고, SDXL이면 text_encoder_2/와 tokenizer_2/도 있어야 합니다. 폴더를 통째로 복사했는지 확인해 주세요.
model-bad-model-index = { $file }이(가) 올바른 model_index.json이 아닙니다: { $detail }
    .hint = diffusers가 모델 폴더 맨 위에 쓰는 JSON 파일이어야 합니다. 모델을 다시 내려받거나 복사해 주세요
model-pickle-weights = { $model }: { $file }은(는) PyTorch pickle 형식의 가중치입니다. reportfig는 .safetensors 형식만 읽습니다
    .hint =
        diffusers로 한 번만 바꿔 주세요:
          python -c "from diffusers import DiffusionPipeline as P; P.from_pretrained('{ $model }').save_pretrained('my-model', safe_serialization=True)"
        그다음 --model ./my-model로 쓰세요
model-bad-shard-index = { $file }: { $detail }
    .hint = 여러 조각으로 나뉜 가중치는 그 목록이 같은 폴더의 .safetensors 파일을 가리킬 때만 읽습니다. diffusers의 save_pretrained(max_shard_size="100GB")로 한 파일로 합쳐 주세요
model-gated = Hugging Face 저장소 { $repo }은(는) 사용 승인이 필요한 모델이라 내려받기가 거절되었습니다
    .hint = { $token ->
        [sent] HF_TOKEN의 접근 토큰을 보냈습니다. 그 토큰의 계정으로 huggingface.co의 모델 페이지에서 사용 허가(라이선스)에 동의했는지, 토큰이 만료되지 않았는지 확인하세요
       *[none] huggingface.co의 모델 페이지에서 사용 허가(라이선스)에 동의한 뒤, 그 계정의 액세스 토큰을 HF_TOKEN에 넣어 주세요
    }
model-repo-missing-file = Hugging Face 저장소 { $repo }은(는) diffusers 형식이 아닙니다: { $file }이(가) 없습니다
    .hint = { model-layout-help }
model-hub-answer = Hugging Face 허브({ $endpoint })가 { $what } 요청에 { $detail }(으)로 답했습니다
    .hint = 잠시 뒤에 다시 해 보세요. HF_ENDPOINT를 설정했다면 Hugging Face 허브 주소가 맞는지 확인해 주세요
model-hub-lied = Hugging Face 허브({ $endpoint })가 믿을 수 없는 답을 보냈습니다: { $detail }
    .hint = 내려받은 파일 보관 폴더 밖에는 아무것도 쓰지 않았고, 덜 받은 파일도 남기지 않았습니다. HF_ENDPOINT를 설정했다면 믿을 수 있는 허브로 바꾸거나, 설정을 지워 huggingface.co를 쓰세요
model-download-locked = { $file }을(를) 다른 곳에서 내려받는 중입니다 (잠금 파일 { $lock })
    .hint = 그 내려받기가 끝날 때까지 기다려 주세요. 다른 reportfig가 실행 중이 아니라면 잠금 파일을 지워도 됩니다
model-fetch-local = { $path }은(는) 이 컴퓨터에 있는 폴더라 내려받을 것이 없습니다
    .hint = `models fetch`에는 미리 정한 모델({ $presets })이나 Hugging Face 저장소 아이디를 적어 주세요
model-no-cache-dir = 내려받은 모델을 보관할 폴더를 찾을 수 없습니다: 사용자 홈 폴더를 알 수 없습니다
    .hint = HF_HOME(또는 HF_HUB_CACHE)에 쓰기가 되는 폴더를 지정해 주세요
model-not-downloaded = { $name } 모델을 아직 내려받지 않아서 불러올 수 없습니다
    .hint = 먼저 `reportfig models fetch { $name }`을 실행하세요
config-parse = { $path }이(가) 올바른 { $what } 파일이 아닙니다 ({ $line }번째 줄, { $column }번째 글자): { $detail }
    .hint = 파일이 손상되었거나 다른 파일로 바뀌었을 수 있습니다. 모델을 다시 내려받거나 복사해 주세요
config-unsupported = { $path }: { $detail }
pipeline-weights = { $component ->
        [unet] UNet(그림 생성 신경망)
        [vae] VAE(그림 완성 신경망)
        [text-encoder-2] 두 번째 텍스트 인코더
       *[text-encoder] 텍스트 인코더
    } 가중치를 { $path }에서 불러올 수 없습니다: { $detail }
    .hint = 파일이 덜 받아졌거나 손상되었을 수 있습니다. 파일을 지우고 다시 내려받거나(reportfig models fetch), 폴더가 diffusers 형식의 모델인지 확인해 주세요
pipeline-missing-weight = { $component ->
        [unet] UNet(그림 생성 신경망)
        [vae] VAE(그림 완성 신경망)
        [text-encoder-2] 두 번째 텍스트 인코더
       *[text-encoder] 텍스트 인코더
    } 가중치 파일 { $path }에 꼭 필요한 텐서 { $name }이(가) 없습니다
    .hint = 파일이 덜 받아졌거나 다른 모델의 파일입니다. 파일을 지우고 다시 내려받거나(reportfig models fetch), 폴더가 diffusers 형식 모델인지 확인해 주세요
pipeline-weight-shape = { $component ->
        [unet] UNet(그림 생성 신경망)
        [vae] VAE(그림 완성 신경망)
        [text-encoder-2] 두 번째 텍스트 인코더
       *[text-encoder] 텍스트 인코더
    } 가중치 파일 { $path }의 텐서 { $name }은(는) 모양이 { $got }인데, { $config }의 설정에는 { $expected }이(가) 필요합니다
    .hint = 가중치 파일이 config.json과 맞지 않습니다. 둘이 같은 모델에서 왔는지, 내려받기가 끝까지 되었는지 확인해 주세요
pipeline-build = { $path }의 { $component ->
        [unet] UNet(그림 생성 신경망)
        [vae] VAE(그림 완성 신경망)
        [text-encoder-2] 두 번째 텍스트 인코더
       *[text-encoder] 텍스트 인코더
    }을(를) 만들 수 없습니다: { $detail }
pipeline-build-mismatch = { $path }의 { $component ->
        [unet] UNet(그림 생성 신경망)
        [vae] VAE(그림 완성 신경망)
        [text-encoder-2] 두 번째 텍스트 인코더
       *[text-encoder] 텍스트 인코더
    }을(를) 만들 수 없습니다: { $detail }
    .hint = 가중치 파일이 config.json과 맞지 않습니다. 둘이 같은 모델에서 왔는지, 내려받기가 끝까지 되었는지 확인해 주세요
translator-empty = --translator 값이 비어 있습니다
    .hint = 미리 정한 번역 모델({ $presets }), Hugging Face 저장소 아이디, 또는 폴더를 적어 주세요
translator-unknown = "{ $name }"(이)라는 번역 모델은 없습니다: 미리 정한 번역 모델도, Hugging Face 저장소 아이디도, 폴더도 아닙니다
    .hint = 미리 정한 번역 모델: { $presets }. 또는 Helsinki-NLP/opus-mt-ko-en 같은 저장소나, config.json, source.spm, target.spm, vocab.json과 가중치가 든 폴더를 적어 주세요
translator-folder-not-found = 번역 모델 폴더 { $path }이(가) 없습니다
    .hint = 경로를 확인하거나, 미리 정한 번역 모델({ $presets })을 적어 주세요
translator-incomplete = { $dir }은(는) 완전한 번역 모델 폴더가 아닙니다: { $file }이(가) 없습니다 (Marian 번역 모델에는 config.json, generation_config.json, model.safetensors 또는 pytorch_model.bin, source.spm, target.spm, vocab.json, tokenizer_config.json이 필요합니다)

# CSV 개요(엑셀에서 저장한 개요)의 머리글과 줄.
outline-csv-unknown-column = { $path } 1번째 줄: "{ $column }"은(는) 알 수 없는 열 이름입니다
    .hint = 쓸 수 있는 열은 caption, style, size, seed, file, negative, en, cover, layout, image, strength, mask입니다 (caption만 꼭 있어야 합니다)
outline-csv-no-caption = { $path } 1번째 줄: 머리글에 "caption" 열이 없습니다
    .hint = 첫 줄에 열 이름을 적어 주세요. 예: caption,style,seed
outline-csv-duplicate-column = { $path } 1번째 줄: "{ $column }" 열이 두 번 나옵니다
    .hint = 하나만 남겨 주세요
outline-csv-row = { $path } { $line }번째 줄: 칸을 읽을 수 없습니다 ({ $problem })
    .hint = 그 줄의 따옴표와 쉼표 개수를 확인해 주세요. 쉼표가 들어간 칸은 큰따옴표로 감싸야 합니다

# `styles import`: 화풍 목록이 아닌 파일, 또는 이미 있는 파일.
style-import-csv = { $file } { $line }번째 줄: CSV를 읽을 수 없습니다 ({ $detail })
style-import-json = { $file } { $line }번째 줄: 화풍 목록이 아닙니다 ({ $detail }). [{"{"}"name": "...", "prompt": "... {"{"}prompt{"}"} ...", "negative_prompt": "..."{"}"}] 같은 JSON 목록이어야 합니다
style-import-csv-header = { $file }: CSV에 `name`과 `prompt` 열이 없습니다 (있는 열: { $found }). A1111의 styles.csv는 name,prompt,negative_prompt 줄로 시작합니다
style-import-empty = { $file }에 가져올 화풍이 없습니다
style-import-unknown-format = { $file }이(가) 어떤 형식인지 알 수 없습니다. 파일 이름을 .csv(A1111 styles.csv)나 .json(Fooocus / InvokeAI 화풍)으로 끝나게 해 주세요
style-import-exists = { $paths }이(가) 이미 있습니다 ({ $count }개). 바꾸려면 --force를 붙이고, 아니면 다른 폴더로 가져오세요
file-cannot-write = { $path }에 쓸 수 없습니다: { $reason }

batch-duplicate-file = { $path }: { $first }번째 줄과 { $second }번째 줄이 같은 파일 { $file }에 그림을 씁니다
    .hint = 둘 중 하나에 다른 file= 이름을 붙여 주세요

# 내려받은 파일 보관 폴더(Hugging Face 캐시)를 읽거나 쓰지 못했습니다.
model-io = { $path }을(를) { $action ->
        [read] 읽지
        [write] 쓰지
        [create] 만들지
        [lock] 잠그지
        [replace] 바꾸지
       *[other] 내려받아 보관하지
    } 못했습니다: { $reason }
