# 명령줄 도움말(clap). 아이디 규칙은 en/cli.ftl 머리말과 같습니다.
# 예시 명령은 영어판과 똑같이 두고, 설명과 # 뒤의 풀이만 한국어로 씁니다.

help-flag-help = 도움말 보기
help-flag-help-long = 도움말 보기 (요약만 보려면 '-h')
help-flag-help-more = 도움말 보기 (자세히 보려면 '--help')
help-flag-version = 버전 보기
help-help = 이 도움말, 또는 지정한 명령의 도움말 보기
help-main-lang = 메시지와 도움말의 언어: ko(한국어) 또는 en(English) (지정하지 않으면 LANG 설정, 그것도 없으면 영어)

help-common-style = 그림의 화풍(스타일) 이름 또는 한국어 제목, 예: flat-vector, 수채화 (목록: `reportfig styles list`); a+b로 여러 화풍을 겹칠 수 있습니다
help-common-size = 그림 크기: a4-portrait(A4 세로), a4-landscape(A4 가로), slide-16x9(발표 자료), square(정사각형), banner(배너), icon(아이콘), 또는 768x512 같은 픽셀 수
help-common-exact-ratio = 결과 그림을 지정한 용지 비율에 맞게 정확히 잘라 냅니다
help-common-dpi = 그림 파일(PNG)에 인쇄 해상도를 기록해 한글·워드가 실제 크기로 배치하게 합니다. 예: --dpi 300 (50~1200)
help-common-print = 용지를 꽉 채우는 크기로 만듭니다: a4 (210 x 297 mm), a5 (148 x 210 mm), slide (13.33 x 7.5 인치). 모델에 맞는 크기로 용지 비율대로 그린 뒤 --dpi에 맞게 확대합니다 (기본 300, slide는 150)
help-common-upscaler = --print와 함께: 최종 크기 조정 전에 4배로 선명하게 확대하는 학습형 확대 모델. realesr-general-x4v3(Real-ESRGAN 소형, BSD-3, 5 MB, 처음 한 번 내려받거나 데이터 폴더의 upscalers/realesr-general-x4v3/에서 찾음), 그 .pth나 model.safetensors가 든 폴더, 또는 .pth 파일. 없으면 일반 Lanczos 방식으로 확대합니다
help-common-steps = 단계 수: 그림을 몇 번에 걸쳐 다듬을지입니다. 많을수록 느리지만 정교해집니다 (기본값: 화풍 또는 모델의 값; 터보 모델 1~4, 그 밖의 모델 20~50)
help-common-guidance = 그림이 설명 문구를 얼마나 충실히 따를지, 예: 7.5 (0이나 1이면 끔; 터보 모델은 0)
help-common-sampler = 그림을 다듬는 계산 방식(샘플러): euler, euler-a, ddim, pndm, dpmpp-2m, dpmpp-2m-karras, lcm, ddpm
help-common-negative = 그림에 나오지 않게 할 것, 예: "text, watermark, crowds" (터보 모델에는 효과 없음)
help-common-translator = 한국어 설명을 영어로 옮길 번역 모델: 미리 정한 이름(opus-mt-ko-en, opus-mt-tc-big-ko-en), Hugging Face 저장소 아이디 또는 내 컴퓨터의 폴더
help-common-no-translate = 한국어 설명을 번역하지 않고 입력한 그대로 모델에 보냅니다
help-common-glossary = 내 용어집 (TOML 파일: "포항시" = "Pohang City"), 기본 용어집에 더해 씁니다
help-common-no-glossary = 용어집 없이 번역합니다 (기본 용어집도, 내 용어집도 쓰지 않음)
help-common-model = 그림을 그릴 모델: 미리 정한 이름(sd15-lcm, sd-turbo, sdxl-turbo, sd15, sd21, sdxl, sdxl-lightning, lcm-dreamshaper), diffusers 형식의 Hugging Face 저장소 아이디(조직/이름 또는 조직/이름@버전), diffusers 형식의 내 컴퓨터 폴더, 또는 파일 하나로 된 체크포인트(.safetensors: SD 1.x, SD 2.x, SDXL 기본 모델)
help-common-model-config = --model이 파일 하나로 된 체크포인트일 때: 그 구조를 설명하는 설정·토크나이저·스케줄러가 든 diffusers 형식 폴더, 미리 정한 모델 또는 저장소 (기본값: 파일에서 알아낸 계열의 미리 정한 모델; 작은 설정 파일만 내려받음)
help-common-offline = 이미 내려받은 파일만 씁니다 (인터넷을 쓰지 않음; HF_HUB_OFFLINE=1과 같음)
help-common-lora = 모델에 덧입힐 LoRA(화풍·인물 등을 더하는 작은 추가 파일): .safetensors 파일(kohya/A1111 또는 diffusers 형식)이나 Hugging Face 저장소 아이디(조직/이름 또는 조직/이름/파일.safetensors)이며, 뒤에 쌍점과 세기를 붙일 수 있습니다(기본 1.0). 여러 번 쓸 수 있습니다
help-common-device = 계산할 장치 (cpu: 일반 컴퓨터, cuda/metal: 그래픽 카드)
help-common-dtype = 메모리에 올릴 가중치의 정밀도: f32(정확함) 또는 f16(메모리 절반; CPU에서는 계산이 f32로 이루어져 그림이 아주 조금만 달라짐). bf16은 그래픽 카드용
help-common-styles-dir = 내 화풍 파일을 더 둔 폴더 (사용자 설정 폴더 말고 추가로)
help-common-title = 그림 위에 얹을 제목, 한국어나 영어로 (그림 모델은 한글을 쓰지 못하므로 reportfig가 글자를 넣습니다). 제목 없는 원본은 옆에 NAME.untitled.png로 보관합니다
help-common-subtitle = 제목 아래 작은 글씨로 넣을 부제 (--title과 함께 씁니다)
help-common-title-layout = 제목 위치: top(위), bottom(아래), center(가운데), band(아래쪽 3분의 1에 가로 띠)
help-common-title-font = 제목 글꼴: sans(굵은 고딕, 모든 한글 음절) 또는 serif(굵은 명조, 자주 쓰는 2,350자)

help-main = 짧은 설명 문구로 보고서용 그림을 만듭니다 (Stable Diffusion, 내 컴퓨터에서)
    .long =
    짧은 설명 문구로 보고서용 그림을 만듭니다.
    
    reportfig는 Stable Diffusion 모델을 내 컴퓨터에서 실행해(그래픽 카드 없어도 됨) 보고서,
    보도자료, 발표 자료에 넣을 PNG 그림 파일을 만듭니다. PNG 파일마다 만든 방법이 기록되어
    있어 똑같은 그림을 다시 만들 수 있습니다.
help-main-examples =
    예시:
      reportfig generate "Smart traffic signals at a busy intersection" -o cover.png
      reportfig batch reports/2026-transport/outline.md --style isometric-city
      reportfig compare "Senior welfare centre" --styles flat-vector,paper-cut
      reportfig styles list
      reportfig models list
    
    명령 하나의 자세한 설명은 `reportfig 명령 --help`로 볼 수 있습니다.
help-main-quiet = 결과와 오류만 표시합니다 (진행 막대와 안내 문구 없음)

help-generate = 설명 문구 하나로 그림 한 장을 만듭니다
help-generate-examples =
    예시:
      reportfig generate "Smart traffic signals at a busy city intersection"
      reportfig generate "2025 budget by sector" --style flat-vector -o budget.png
      reportfig generate "City hall at night" --size slide-16x9 -o figures/
      reportfig generate "Riverside park at dawn" --model sd15 --seed 42
      reportfig generate "City hall" --model ./models/my-finetune
      reportfig generate "City hall square" --title "2026년 업무 보고" -o cover.png
      reportfig generate "City hall" --init-image hall.jpg --strength 0.5
help-generate-caption = 그림에 담을 내용을 쉬운 말로 (따옴표 "…" 안에)
help-generate-seed = 시드: 그림의 출발점이 되는 번호입니다. 같은 시드와 같은 설정이면 같은 그림이 나옵니다 (기본값: 임의의 번호, 다시 쓸 수 있게 화면에 표시)
help-generate-output = 저장할 PNG 파일 이름, 또는 넣을 폴더 (기본값: 설명 문구와 시드로 지은 이름, 지금 폴더에)
help-generate-force = 같은 이름의 파일이 있으면 바꿔 씁니다
help-generate-json = 결과를 JSON으로 표준 출력에 씁니다

help-batch = 보고서 개요(Markdown, 텍스트, CSV)의 항목마다 그림을 만듭니다
help-batch-examples =
    예시:
      reportfig batch reports/2026-transport/outline.md --style isometric-city
      reportfig batch outline.md --dry-run     # 만들 목록만 보기, 그림은 안 만듦
      reportfig batch outline.md --docx report-figures.docx
      reportfig batch outline.md --title "2026년 교통 계획" --title-layout band
      reportfig batch outline.csv --out figures --force
      reportfig batch outline.md --shard 1/4   # 컴퓨터 네 대 중 한 대의 몫
    
    Ctrl-C를 한 번 누르면 지금 그리는 그림까지 마치고 멈춥니다. 같은 명령을
    다시 실행하면 멈춘 곳부터 이어서 만듭니다.
help-batch-outline = 보고서 개요 파일: Markdown(.md), 텍스트(.txt, 한 줄에 설명 하나) 또는 CSV
help-batch-seed = 시작 시드: n번째 그림은 시드 N + n - 1을 쓰므로, 첫 그림은 `generate --seed N`과 같습니다
help-batch-out = 그림을 저장할 폴더 (기본값: 개요 파일 옆의 figures/)
help-batch-force = 같은 설정으로 이미 만든 그림도 모두 다시 만듭니다
help-batch-resume = 같은 설정으로 이미 만든 그림은 건너뜁니다 (기본 동작)
help-batch-shard = 개요의 N개 몫 중 I번째만 만듭니다, 예: 1/4 (여러 컴퓨터나 프로세스로 나눌 때). auto는 Slurm 배열 작업이나 Kubernetes Indexed Job이 정해 준 몫을 씁니다(Kubernetes에서는 auto/N)
help-batch-dry-run = 모델을 불러오지 않고 무엇을 만들지만 보여 줍니다
help-batch-markdown = outline.illustrated.md도 씁니다: 그림을 넣은 Markdown 개요 사본
help-batch-docx = 워드 문서도 씁니다 (워드와 한글에서 열림): 개요의 제목마다 그 아래에 그림을 쪽 너비로 넣고, 그림 번호와 설명을 붙입니다
help-batch-cover = 개요의 첫 그림을 표지로 만들고, 첫 제목을 그 위에 글자로 넣습니다 (그 줄에 {"{"}cover{"}"}를 쓴 것과 같음)
help-batch-title = 표지에 넣을 제목 (기본: 개요의 첫 제목). {"{"}cover{"}"}를 쓴 그림이 없으면 첫 그림이 표지가 됩니다. 제목 없는 원본은 옆에 NAME.untitled.png로 보관합니다
help-batch-subtitle = 표지 제목 아래 작은 글씨로 넣을 부제 (--title이나 개요의 첫 제목과 함께)
help-batch-title-layout = 표지 제목 위치: top(위), bottom(아래), center(가운데), band(아래쪽 3분의 1에 가로 띠). 표지 줄에 {"{"}cover layout=band{"}"}처럼 적으면 그 표지는 그 위치를 따릅니다
help-batch-json = 요약을 JSON으로 표준 출력에 씁니다

help-compare = 설명 하나를 여러 화풍(또는 설정)으로 나란히 그려 제목이 붙은 비교표 한 장으로 만듭니다
help-compare-examples =
    예시:
      reportfig compare "Senior welfare centre" --styles flat-vector,paper-cut
      reportfig compare "Flood response drill" --styles press-photo --seeds 1,2
      reportfig compare "Bike lanes" --vary steps=1,2,4 --vary sampler=euler,lcm
      reportfig compare "City hall" --init-image hall.jpg --vary strength=0.4,0.8
help-compare-captions = 비교할 설명 문구(여러 개 가능); 문구마다 한 줄이 됩니다
help-compare-styles = 비교할 화풍들, 쉼표로 구분, 예: flat-vector,paper-cut (화풍마다 한 칸)
help-compare-seeds = 시드들, 쉼표로 구분, 예: 1,2,3 (시드마다 한 줄)
help-compare-vary = 비교할 다른 설정: steps=1,2,4 | guidance=0,1.5 | sampler=euler,dpmpp-2m | strength=0.4,0.6,0.8 (with --init-image) | model=sd-turbo,sdxl-turbo (여러 번 쓸 수 있음)
help-compare-output = 비교표 PNG 파일 (기본값: 설명 문구로 지은 이름); 낱장 그림은 그 옆에 저장
help-compare-font = 비교표 글자에 쓸 TTF/OTF 글꼴 (기본값: 한국어가 되는 내장 나눔고딕)
help-compare-force = 같은 이름의 파일이 있으면 바꿔 씁니다

help-retitle = 제목을 넣어 만든 그림(--title)의 제목을, 그림을 다시 만들지 않고 바꿉니다
help-retitle-examples =
    예시:
      reportfig retitle cover.png --title "2026년 교통 계획(최종)"
      reportfig retitle cover.png --title "교통 계획" --title-layout band
help-retitle-file = 제목이 들어간 그림(cover.png) 또는 제목 없는 원본(cover.untitled.png)
help-retitle-title = 새 제목
help-retitle-output = 제목을 넣은 그림을 저장할 파일 (기본값: FILE의 제목 들어간 파일)
help-retitle-force = 이 그림에 제목을 넣은 파일이 아니어도 같은 이름의 파일을 바꿔 씁니다
help-retitle-json = 결과를 JSON으로 표준 출력에 씁니다

help-translate = 그림은 만들지 않고, 한국어 설명이 어떤 영어 문구로 바뀌는지 보여 줍니다
help-translate-examples =
    예시:
      reportfig translate "포항시 버스 정류장" "영일대 해수욕장의 야경"
      reportfig translate "시청 앞 광장" --json
      reportfig translate "행정복지센터" --glossary my-terms.toml
    
    일괄 작업(batch)과 비교(compare)도 똑같이 번역하니, 여기서 먼저 문구를 확인해 보세요.
help-translate-captions = 설명 문구 하나 이상 (각각 따옴표 안에); 문구마다 영어 한 줄을 표시합니다
help-translate-offline = 내려받은 모델만 쓰고 인터넷은 쓰지 않습니다
help-translate-json = 줄 대신 {"{"}caption, english, translated_by{"}"}의 JSON 배열로 표시합니다

help-serve = 터미널을 쓰지 않는 동료를 위해 모델을 웹 주소로 제공합니다 (JSON API)
help-serve-examples =
    예시:
      reportfig serve
      reportfig serve --model sd15-lcm --data /srv/reportfig
      reportfig serve --addr 0.0.0.0:7860 --token "$(openssl rand -hex 16)"

    모델은 한 번만 불러오고, 이미지는 컴퓨터별로 차례를 지켜 하나씩 만들어 데이터 폴더에
    보관합니다. API는 README에 있습니다.
help-serve-addr = 요청을 받을 주소: 127.0.0.1:포트는 이 컴퓨터에서만 (토큰 불필요), 그 밖의 주소는 토큰이 필요합니다
help-serve-token = 모든 요청이 보내야 하는 토큰 (Authorization: Bearer 토큰), 16자 이상; REPORTFIG_TOKEN으로도 줄 수 있습니다 (네트워크 주소에서 기본값: 새로 만들어 한 번 표시)
help-serve-data = 완성된 이미지와 기록을 보관할 폴더; 이 폴더 밖에는 아무것도 쓰지 않습니다 (기본값: 사용자 데이터 폴더)
help-serve-queue = 기다릴 수 있는 이미지 수; 넘으면 "나중에 다시 시도"(429)로 거절합니다
help-serve-per-client = 기다리는 이미지 가운데 한 컴퓨터에서 보낸 것이 몇 개까지일 수 있는지; 한 사람이 대기열을 다 채우지 못하게 하며, 넘으면 "나중에 다시 시도"(429)로 거절합니다
help-serve-instance = 프록시 뒤에서 --data 폴더 하나를 함께 쓰는 여러 서버 가운데 이 서버의 이름; 이 서버가 만드는 작업의 기록에 남습니다 (기본값: 호스트 이름, 쿠버네티스에서는 파드 이름)

help-styles = 화풍 목록을 보고, 화풍 파일을 점검하거나 가져옵니다
help-styles-examples =
    예시:
      reportfig styles list
      reportfig styles show flat-vector-infographic
      reportfig styles check my-style.toml
      reportfig styles import styles.csv

help-styles-list = 모든 화풍을 분류별로 보여 줍니다
help-styles-list-examples =
    예시:
      reportfig styles list
      reportfig styles list --json > styles.json
help-styles-list-json = 목록을 JSON으로 표준 출력에 씁니다

help-styles-show = 화풍 하나와, 예시 문구로 만든 영어 지시문을 보여 줍니다
help-styles-show-examples =
    예시:
      reportfig styles show flat-vector-infographic
      reportfig styles show paper-cut --caption "Library opening" --model sdxl
help-styles-show-name = 화풍 이름 또는 한국어 제목, 예: flat-vector-infographic, 수채화 (목록: `reportfig styles list`)
help-styles-show-caption = 화풍과 합쳐 볼 설명 문구
help-styles-show-model = 모델 이름: 모델 종류에 따라 화풍의 세부 설정과 크기가 달라집니다

help-styles-check = 화풍 파일을 쓰기 전에 잘못된 곳이 없는지 점검합니다
help-styles-check-examples =
    예시:
      reportfig styles check my-style.toml
help-styles-check-file = 점검할 화풍 파일(.toml)

help-styles-import = A1111 styles.csv나 Fooocus/InvokeAI 화풍 JSON을 reportfig 화풍 파일로 바꿉니다
help-styles-import-examples =
    예시:
      reportfig styles import styles.csv
      reportfig styles import fooocus_styles.json --out my-styles
help-styles-import-file = A1111 styles.csv 또는 Fooocus/InvokeAI 화풍 .json 파일
help-styles-import-out = .toml 파일을 저장할 폴더 (기본값: 내 화풍 폴더)
help-styles-import-force = 같은 이름의 화풍 파일이 있으면 바꿔 씁니다

help-models = 미리 정한 모델: 어떤 것이 있고 무엇을 내려받았는지 보고, 미리 내려받습니다
help-models-examples =
    예시:
      reportfig models list
      reportfig models fetch sd-turbo

help-models-list = 미리 정한 모델과 번역 모델, 사용 허가(라이선스), 내려받았는지 여부
help-models-list-examples =
    예시:
      reportfig models list
help-models-list-json = 목록을 JSON으로 표준 출력에 씁니다

help-models-fetch = 모델이나 번역 모델을 지금 내려받아, 나중에 인터넷 없이 씁니다
help-models-fetch-examples =
    예시:
      reportfig models fetch sd-turbo
      reportfig models fetch opus-mt-ko-en      # 한국어-영어 번역 모델
      reportfig models fetch stabilityai/sdxl-turbo
help-models-fetch-name = 미리 정한 이름(sd15-lcm, sd-turbo, sdxl-turbo, sd15, sd21, sdxl, sdxl-lightning, lcm-dreamshaper; 번역 모델 opus-mt-ko-en, opus-mt-tc-big-ko-en; 확대 모델 realesr-general-x4v3) 또는 Hugging Face 저장소 아이디

help-models-list-offline = 내려받아 둔 파일만 봅니다 (이 명령은 원래 아무것도 내려받지 않습니다)
help-models-fetch-offline = 받아들이지 않습니다 (내려받으려면 인터넷이 필요함). 대신 인터넷이 안 되는 컴퓨터로 모델을 옮기는 방법을 알려 드립니다

help-models-export = 내려받은 모델을 폴더(USB 메모리)에 복사해 인터넷이 안 되는 컴퓨터로 옮깁니다
    .long = 모델을 묶음 폴더(USB 메모리, 공유 폴더)에 복사해 인터넷이 안 되는 컴퓨터로 옮깁니다. 아직 내려받지 않은 것은 먼저 내려받습니다. --no-translator가 없으면 한국어-영어 번역 모델도 함께 넣습니다. 인터넷이 안 되는 컴퓨터에서 `reportfig models import 폴더`를 실행하면 파일을 하나하나 확인해 설치하고, 그다음부터 --offline으로 쓸 수 있습니다.
help-models-export-examples =
    예시:
      reportfig models export sd-turbo E:\reportfig-models
      reportfig models export sd15 sdxl-turbo /media/usb/reportfig-models
      reportfig models import E:\reportfig-models   # 인터넷이 안 되는 컴퓨터에서
help-models-export-items = 넣을 모델 이름, Hugging Face 저장소 아이디 또는 번역 모델 (없으면 먼저 내려받음), 그리고 마지막에 묶음을 쓸 폴더 (새 폴더, 빈 폴더, 또는 더해서 쓸 예전 묶음)
help-models-export-no-translator = 한국어-영어 번역 모델을 넣지 않습니다
help-models-export-offline = 이미 내려받은 것만 넣고, 인터넷은 쓰지 않습니다

help-models-import = `models export`로 만든 묶음을 설치해, 인터넷 없이 모델을 쓰게 합니다
    .long = `models export`로 만든 묶음을 설치해, 인터넷 없이 모델을 쓰게 합니다. 먼저 모든 파일을 묶음 목록의 크기와 검사값(SHA-256)과 비교하고, 손상되었거나 덜 복사된 묶음은 아무것도 설치하지 않고 그 파일 이름을 알려 드립니다.
help-models-import-examples =
    예시:
      reportfig models import E:\reportfig-models
help-models-import-dir = 묶음 폴더 (reportfig-bundle.json이 있는 폴더)

help-heading-usage = 사용법:
help-heading-arguments = 인수:
help-heading-commands = 명령:
help-heading-options = 옵션:
help-default-value = 기본값: { $value }
help-possible-values = 고를 수 있는 값: { $values }
help-common-decoder = 결과를 그림으로 바꾸는 디코더: full(모델의 디코더, 최종 그림) 또는 tiny(미리보기용 작은 디코더 TAESD, 훨씬 빠른 초안)
help-common-tiny-decoder = --decoder tiny에 쓸 작은 디코더: taesd(SD 1.x/2.x) 또는 taesdxl(SDXL)을 한 번 내려받아 씁니다. diffusers AutoencoderTiny 형식의 허브 저장소나 폴더도 됩니다 [기본값: 모델에 맞는 것]
help-common-init-image = 빈 화면 대신 이 그림에서 시작합니다 (PNG나 JPEG: 그 장소의 사진, 시 로고 등). 크기에 맞춰 자르고 배치는 그대로 둡니다
help-common-strength = 시작 그림을 얼마나 새로 그릴지, 0보다 크고 1 이하 [기본값: 0.6]: 0.3은 사진을 대부분 살리고, 1은 배치만 살짝 참고합니다
help-common-mask = --init-image와 함께: 이 그림의 흰 부분만 새로 그립니다 (같은 크기, 검은 부분은 그대로). 예: 하늘이나 간판만 바꿀 때
