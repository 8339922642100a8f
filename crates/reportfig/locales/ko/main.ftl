# reportfig의 한국어 메시지. 공무원이 보고서를 쓰며 읽는 말로 씁니다: 보고서, 그림, 표지.
# 기술 용어(시드, 단계)는 처음 나올 때 쉬운 말로 풀어 씁니다.

lang-unknown = '{ $value }'은(는) 지원하지 않는 언어입니다
    .hint = --lang ko(한국어) 또는 --lang en(English)으로 지정해 주세요
