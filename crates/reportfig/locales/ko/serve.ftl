# `reportfig serve`: 서버와 API가 하는 말.

serve-bad-addr = --addr { $addr }은(는) 서버를 열 수 있는 주소가 아닙니다
    .hint = IP 주소와 포트를 HOST:PORT 꼴로 쓰세요. 예: 127.0.0.1:7860 (이 컴퓨터에서만) 또는 0.0.0.0:7860 (네트워크 전체, 토큰 필요)
serve-token-too-short = 토큰은 추측할 수 없도록 공백 없이 { $min }자 이상이어야 합니다
    .hint = 네트워크 주소에서 --token을 빼면 자동으로 만들어 줍니다. 직접 만들려면 예: `openssl rand -hex 16`
serve-no-randomness = 임의의 토큰이나 이미지 ID를 만들 수 없습니다: { $reason }
serve-no-data-folder = 이 시스템의 사용자 데이터 폴더를 찾을 수 없습니다
    .hint = --data 폴더를 주세요
serve-queue-zero = --queue는 1 이상이어야 합니다
serve-per-client-zero = --per-client는 1 이상이어야 합니다
serve-cannot-listen = { $addr }에서 서버를 열 수 없습니다: { $reason }
    .hint = 다른 프로그램이 그 포트를 쓰고 있을 수 있습니다. --addr로 다른 포트를 고르세요. 예: 127.0.0.1:7861
serve-job-lost = 이 이미지를 만들기 전에 서버가 멈췄습니다
    .hint = 다시 요청하세요
serve-caption-too-long = 설명 문구가 { $max }자보다 깁니다
    .hint = 설명 문구는 그림에 대한 한 문장입니다. 나머지 내용은 보고서 본문에 쓰세요
serve-negative-too-long = 제외할 내용(negative)이 { $max }자보다 깁니다
serve-unauthorized = 이 서버는 토큰이 필요합니다. `Authorization: Bearer 토큰` 헤더를 보내세요
    .hint = 토큰은 서버를 실행한 사람이 가지고 있습니다 (서버를 시작할 때 표시됩니다)
serve-host-not-local = 토큰 없이 실행된 서버이므로 이 컴퓨터(localhost 또는 127.0.0.1)로 보낸 요청에만 응답합니다
    .hint = 다른 컴퓨터나 리버스 프록시에서 쓰려면 --token을 주고 실행하세요
serve-needs-json = 요청 본문은 `Content-Type: application/json`으로 보낸 JSON이어야 합니다
serve-bad-json = API가 받을 수 있는 요청이 아닙니다: { $reason }
    .hint = {"{"}"caption": "..."{"}"}을 보내세요. style, size, seed, steps, guidance, sampler, negative, init_image, mask, strength를 함께 줄 수 있습니다
serve-queue-full = 기다리는 이미지가 너무 많습니다. { $seconds }초 뒤에 다시 시도하세요
serve-client-full = 내 이미지가 이미 { $waiting }개 기다리고 있어, 한 컴퓨터가 한 번에 기다리게 할 수 있는 수({ $max })에 이르렀습니다. { $seconds }초 뒤에 다시 시도하세요
    .hint = 다른 사람의 이미지와 차례로 만들어지며, 하나가 완성될 때마다 자리가 하나 납니다
serve-no-such-image = 그런 이미지가 없습니다 (취소되었거나 삭제되었을 수 있습니다)
serve-image-not-ready = 이미지가 아직 완성되지 않았습니다
    .hint = 상태가 done이 될 때까지 GET /api/images/ID를 확인하세요
serve-not-found = 이 주소에는 아무것도 없습니다. API는 /api 아래에 있습니다 (README 참고)
serve-token-generated = 이 서버는 네트워크에 열려 있으므로 모든 요청에 이 토큰이 필요합니다 (지금 한 번만 표시됩니다): { $token }
serve-listening = { $url }에서 요청을 받습니다 (Ctrl-C로 멈춤)
serve-stopping = 멈추는 중: 만들고 있던 이미지는 버리고, 기다리던 이미지는 잃은 것으로 기록합니다
serve-log-done = { $id } 완성: { $waited }초 기다린 뒤 { $seconds }초 걸림: { $caption }
serve-log-failed = { $id } 실패: { $error }
serve-log-cancelled = { $id } 취소됨

# 시작 그림 (POST /api/images의 init_image와 mask).
serve-picture-too-large = 그림 { $file }이(가) { $max } MiB보다 큽니다
    .hint = JPEG로 저장하거나 크기를 줄이세요 (가로 2000픽셀이면 충분합니다)
serve-pictures-too-large = 그림을 포함한 요청이 { $max } MiB보다 큽니다
    .hint = 시작 그림과 가림 그림(mask)은 각각 { $each } MiB까지 받습니다. JPEG로 저장하거나 크기를 줄이세요
serve-picture-bad-data = 그림 { $file }의 data가 base64가 아닙니다: { $reason }
    .hint = {"{"}"init_image": {"{"}"name": "hall.jpg", "data": "파일의 base64"{"}"}{"}"}처럼 보내세요
serve-mask-needs-picture = 가림 그림(mask)은 시작 그림에만 쓰입니다. init_image도 함께 보내세요
serve-strength-needs-picture = strength는 시작 그림에만 쓰입니다. init_image도 함께 보내세요
serve-bad-strength = strength { $strength }은(는) 0보다 크고 1 이하여야 합니다 (0.3은 그림을 대부분 남기고, 0.6이 보통이며, 1은 배치만 남깁니다)

# 비교 (POST /api/compares).
serve-bad-compare-json = API가 받을 수 있는 비교 요청이 아닙니다: { $reason }
    .hint = {"{"}"caption": "...", "styles": ["a", "b"], "seeds": [1, 2]{"}"}처럼 보내세요. vary(예: ["strength=0.4,0.8"]), style, size, steps, guidance, sampler, negative, init_image, mask, strength를 함께 줄 수 있습니다
serve-compare-too-many = 비교할 그림이 { $images }개입니다. 이 서버는 한 장에 { $max }개까지 만듭니다
    .hint = 한 번에 비교하는 화풍, 시드, 값의 수를 줄이세요
serve-compare-no-model = 서버에서 하는 비교는 모델을 바꿀 수 없습니다. 이 서버에는 모델이 하나만 올라가 있습니다
    .hint = 화풍, 시드, steps, guidance, sampler, strength를 바꿔 비교하세요. 모델 비교는 내 컴퓨터에서 reportfig compare --vary model=…로 하세요
serve-no-such-compare = 그런 비교가 없습니다 (취소되었거나 삭제되었을 수 있습니다)

# 올린 개요 (POST /api/batches).
serve-bad-outline-format = "{ $format }"은(는) 개요 형식이 아닙니다
    .hint = format=md(마크다운), format=txt(한 줄에 설명 문구 하나인 텍스트) 또는 format=csv를 쓰세요
serve-bad-batch-query = 올린 개요의 설정을 API가 받을 수 없습니다: { $reason }
    .hint = 설정은 name, format, style, size, seed입니다. 예: /api/batches?name=report.md&style=flat-infographic
serve-outline-too-large = 개요가 { $max } KiB보다 큽니다. 보고서 개요로는 지나치게 큽니다
    .hint = 올리려던 개요가 맞는지 확인하고, 아주 긴 목록은 여러 개요로 나누세요
serve-zip-too-large = 올린 파일이 { $max } MB보다 큽니다. 개요와 그림을 합쳐 이 크기까지 올릴 수 있습니다
    .hint = ZIP에는 개요 파일과 개요가 가리키는 그림만 넣어 주세요. 사진은 몇 MB면 충분합니다
serve-zip-unreadable = { $name }을(를) ZIP 파일로 읽을 수 없습니다 ({ $reason })
    .hint = 보고서 폴더에서 ZIP 파일을 다시 만들어(오른쪽 클릭 후 압축) 통째로 올려 주세요
serve-zip-too-many-files = { $name }에 파일이 { $count }개 있습니다. 개요와 그림에 필요한 { $max }개보다 많습니다
    .hint = ZIP에는 개요 파일과 개요가 가리키는 그림만 넣어 주세요
serve-zip-bad-path = { $name }에 있는 "{ $entry }"은(는) 링크이거나 ZIP 폴더 밖을 가리키는 경로입니다
    .hint = 보고서 폴더 자체로 ZIP을 만들고, 그림은 그 안에 보통 파일로 넣어 주세요
serve-zip-too-large-unpacked = { $name }을(를) 풀면 { $max } MB보다 커집니다
    .hint = ZIP에는 개요 파일과 개요가 가리키는 그림만 넣어 주세요. 사진은 몇 MB면 충분합니다
serve-zip-no-outline = { $name }에 개요 파일(.md, .txt 또는 .csv)이 없습니다
    .hint = 개요 파일을 그림 옆에 넣어 주세요. 예: outline.md와 photos/harbour.jpg
serve-zip-several-outlines = { $name }에 개요 파일이 여러 개 있습니다: { $files }
    .hint = ZIP 하나에 개요 파일 하나(그림은 그 옆에)만 넣거나, 하나씩 따로 올려 주세요
serve-outline-cover = { $path } { $line }번째 줄: 서버에 올린 개요에서는 아직 {"{"}cover{"}"}(표지)를 쓸 수 없습니다
    .hint = 그 그림 항목에서 {"{"}cover{"}"}를 지우거나, 이 개요를 내 컴퓨터에서 reportfig batch로 실행하세요
serve-batch-too-many = 개요의 그림이 { $count }개로, 이 서버가 한 번에 기다리게 할 수 있는 수({ $max })보다 많습니다
    .hint = 개요를 { $max }개 이하씩 나누어 올리거나, 서버 담당자에게 --queue 값을 늘려 달라고 하세요
serve-batch-over-share = 개요의 그림이 { $count }개로, 이 서버에서 한 컴퓨터가 기다리게 할 수 있는 수({ $max })보다 많습니다
    .hint = 개요를 { $max }개 이하씩 나누어 올리거나, 서버 담당자에게 --per-client 값을 늘려 달라고 하세요
serve-no-such-batch = 그런 그림 묶음이 없습니다
serve-batch-not-ready = 이 묶음의 그림 가운데 아직 기다리거나 그리는 중인 것이 있습니다
    .hint = GET /api/batches/ID의 state가 done, failed 또는 cancelled가 될 때까지 기다려 주세요

# / 페이지.
serve-page-title = 보고서 삽화 만들기
serve-page-lead = 그림에 담을 내용을 한국어나 영어로 쓰고, 화풍과 크기를 고르세요.
serve-page-caption = 설명 문구
serve-page-caption-example = 예: 복잡한 도심 교차로의 스마트 신호등
serve-page-style = 화풍
serve-page-style-none = 없음 (설명 문구 그대로)
serve-page-size = 크기
serve-page-size-default = 모델 기본 크기
serve-page-seed = 시드
serve-page-seed-random = 무작위
serve-page-token = 토큰 (서버를 실행한 사람에게 물어보세요)
serve-page-make = 그림 만들기
serve-page-download = PNG 내려받기
serve-page-queued = 기다리는 중: 앞에 { $position }개
serve-page-running = 만드는 중: { $steps }단계 중 { $step }단계
serve-page-done = 완성
serve-page-failed = 실패
serve-page-seed-shown = 시드 { $seed } (위에 넣으면 같은 그림을 다시 만듭니다)
serve-page-outline-title = 보고서 그림 한꺼번에 만들기
serve-page-outline-lead = 보고서 개요(마크다운, 한 줄에 설명 문구 하나인 텍스트, 또는 CSV)를 올리면 위에서 고른 스타일과 크기로 모든 그림을 만들어, 갤러리 페이지와 함께 ZIP 하나로 내려받을 수 있습니다. 사진에서 시작하는 그림(image=photos/harbour.jpg)이 있으면 개요 파일과 사진을 ZIP 하나로 묶어 올리세요.
serve-page-outline = 개요 파일
serve-page-upload = 모든 그림 만들기
serve-page-zip = 모두 내려받기 (ZIP)
serve-page-batch-progress = 그림 { $total }개 가운데 { $done }개 완료
serve-page-cancelled = 취소됨
serve-page-picture = 시작 그림 (선택: 사진이나 로고, PNG 또는 JPEG)
serve-page-mask = 가림 그림 (선택: 흰 부분만 다시 그립니다, 시작 그림과 같은 크기)
serve-page-strength = 다시 그리는 정도
serve-page-strength-hint = 0.3은 사진을 대부분 남기고, 0.6이 보통이며, 1은 배치만 남깁니다
serve-page-picture-clear = 시작 그림 빼기
serve-page-compare-title = 비교하기
serve-page-compare-lead = 위의 설명 문구를 여러 화풍, 시드, 설정으로 만들어 이름표를 붙인 한 장에 나란히 놓습니다 (위에서 시작 그림을 골랐다면 그 그림에서 시작합니다).
serve-page-compare-styles = 화풍 (하나가 한 열)
serve-page-compare-styles-hint = Ctrl을 누른 채 누르면 여러 개를 고릅니다
serve-page-compare-seeds = 시드 (하나가 한 행)
serve-page-compare-seeds-hint = 예: 1, 2
serve-page-compare-vary = 함께 바꿀 설정 (선택)
serve-page-compare-vary-hint = 예: strength=0.4,0.8 또는 steps=1,2,4
serve-page-compare-make = 비교표 만들기
serve-page-compare-progress = 그림 { $cells }개 중 { $cell }번째
serve-page-compare-download = 비교표 내려받기 (PNG)
serve-page-history-title = 내가 만든 그림
serve-page-history-lead = 이 브라우저에서 만든 그림, 비교표, 개요입니다. 최근 것이 앞에 오고, 개요를 누르면 ZIP을 내려받습니다 (서버에 보관되며, 다른 브라우저나 컴퓨터에는 따로 목록이 있습니다).
serve-page-history-compare = 비교표
serve-page-history-batch = 개요
serve-page-history-seed = 시드 { $seed }
serve-bad-instance = --instance "{ $instance }"는 쓸 수 없는 이름입니다
    .hint = 영문자, 숫자, 점, 대시, 밑줄로 { $max }자 이하로 쓰고, 점으로 시작하지 마세요
serve-instance-busy = "{ $instance }"라는 이름의 다른 서버가 이미 이 데이터 폴더를 쓰고 있습니다 ({ $dir })
    .hint = 폴더를 함께 쓰는 서버마다 --instance 이름을 따로 주거나, 다른 서버를 먼저 멈추세요
serve-job-elsewhere = 이 작업은 데이터 폴더를 함께 쓰는 서버 인스턴스 "{ $instance }"에서 만들고 있어, 그 인스턴스만 취소할 수 있습니다
    .hint = 작업을 보낸 주소로 취소하거나, 완성된 뒤 여기서 지우세요
